"""Concurrent writers against a real multi-process server (gunicorn, 3 workers), on SQLite (WAL,
busy timeout, BEGIN IMMEDIATE) or PostgreSQL (TEST_DATABASE_URL): no write is lost, a stale
edit gets 409, nobody ever sees a 500. Loops are bounded; nothing here measures time."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests.security.world import build_world

pytestmark = pytest.mark.multiprocess

ROUNDS = 12


def _at_once(calls):
    """Run the calls in threads released together by a barrier; their results, in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_simultaneous_claim_edits_lose_nothing_and_the_stale_one_gets_409(server, db, tmp_path):
    from workbench.annotations.models import Claim
    from workbench.audit import AuditEvent
    world = build_world(db, tmp_path)
    editors = [server.session(world.names[r]) for r in ("owner", "lead", "admin")]
    url = f"{server.url}/api/v1/claims/{world.ids['claim_id']}"
    acknowledged = []
    for rnd in range(ROUNDS):
        versions = _at_once([lambda s=s: s.get(url, timeout=60).json()["version"] for s in editors])
        assert len(set(versions)) == 1
        results = _at_once([
            lambda s=s, i=i, v=versions[i]: s.patch(url, json={"version": v, "statement": f"round {rnd} by {i}"},
                                                    timeout=60)
            for i, s in enumerate(editors)])
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 409, 409], [(r.status_code, r.text[:200]) for r in results]
        for r in results:
            if r.status_code == 409:
                assert r.json()["error"]["code"] == "conflict"
            else:
                acknowledged.append(r.json()["statement"])
    db.session.commit()
    claim = db.session.get(Claim, world.ids["claim_id"])
    assert claim.version == 1 + ROUNDS
    assert claim.statement == acknowledged[-1]
    history = [e.after_data["statement"] for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.claim_id == claim.id, AuditEvent.entity_type == "claim",
                                 AuditEvent.action == "update").order_by(AuditEvent.id))]
    assert history == acknowledged  # every acknowledged edit is on record, in order


def test_simultaneous_verdicts_are_all_kept(server, db, tmp_path):
    from workbench.annotations.models import Verdict
    world = build_world(db, tmp_path)
    roles = ("reviewer", "owner", "lead", "admin")
    voters = {r: server.session(world.names[r]) for r in roles}
    url = f"{server.url}/api/v1/claims/{world.ids['lead_claim_id']}/verdict"
    ratings = ["true", "false", "mixed", "mostly_true", "mostly_false", "unverifiable"]
    last = {}
    for rnd in range(ROUNDS):
        results = _at_once([lambda s=s, k=k: s.put(url, json={"rating": ratings[(rnd + k) % 6],
                                                              "rationale": f"round {rnd}"}, timeout=60)
                            for k, s in enumerate(voters.values())])
        assert [r.status_code for r in results] == [200] * len(roles), [r.text[:200] for r in results]
        for k, role in enumerate(roles):
            last[role] = ratings[(rnd + k) % 6]
    db.session.commit()
    current = dict(db.session.execute(select(Verdict.reviewer_id, Verdict.rating).where(
        Verdict.claim_id == world.ids["lead_claim_id"], Verdict.superseded_at.is_(None))).all())
    assert {r: current[world.uids[r]].value for r in roles} == last
    total = db.session.scalar(select(func.count()).select_from(Verdict).where(
        Verdict.claim_id == world.ids["lead_claim_id"]))
    assert total == len(roles) * ROUNDS  # every acknowledged verdict kept as history


def test_one_reviewer_in_two_windows_keeps_one_current_verdict(server, db, tmp_path):
    from workbench.annotations.models import Verdict
    world = build_world(db, tmp_path)
    windows = [server.session(world.names["reviewer"]) for _ in range(2)]
    url = f"{server.url}/api/v1/claims/{world.ids['lead_claim_id']}/verdict"
    acknowledged = 0
    for rnd in range(ROUNDS):
        results = _at_once([lambda s=s, k=k: s.put(url, json={"rating": "true", "rationale": f"{rnd}/{k}"},
                                                   timeout=60) for k, s in enumerate(windows)])
        codes = [r.status_code for r in results]
        assert set(codes) <= {200, 409} and 200 in codes, [r.text[:200] for r in results]
        acknowledged += codes.count(200)
    db.session.commit()
    rows = db.session.execute(select(Verdict.superseded_at).where(
        Verdict.claim_id == world.ids["lead_claim_id"], Verdict.reviewer_id == world.uids["reviewer"])).all()
    assert sum(1 for (s,) in rows if s is None) == 1
    assert len(rows) == acknowledged


def test_many_writers_at_once_never_see_a_server_error(server, db, tmp_path):
    """Writers on different claims and new claims in parallel: every write is acknowledged
    (no 'database is locked' 500 on SQLite) and every acknowledged claim is stored."""
    from workbench.annotations.models import Claim
    world = build_world(db, tmp_path)
    post = server.session(world.names["owner"]).get(f"{server.url}/api/v1/posts/{world.ids['post_id']}").json()
    quote = "The Ministry of Justice"
    start = post["body"].index(quote)
    writers = [server.session(world.names[r]) for r in ("reviewer", "owner", "lead", "admin")]

    def create(s, n):
        return s.post(f"{server.url}/api/v1/claims", json={
            "post_id": world.ids["post_id"], "start": start, "end": start + len(quote), "exact": quote,
            "statement": f"parallel claim {n}", "category": world.ids["category_name"],
            "sources": [{"url": f"https://example.org/{n}"}], "verdict": {"rating": "true"}}, timeout=60)
    created = []
    for rnd in range(ROUNDS):
        results = _at_once([lambda s=s, n=f"{rnd}.{k}": create(s, n) for k, s in enumerate(writers)])
        assert [r.status_code for r in results] == [201] * len(writers), [r.text[:300] for r in results]
        created += [r.json()["id"] for r in results]
    db.session.commit()
    stored = set(db.session.scalars(select(Claim.id).where(Claim.id.in_(created))))
    assert stored == set(created)
