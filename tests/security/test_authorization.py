"""Authorization, route by route and role by role, against ONE expectation table.

The walker takes every rule from app.url_map and every method it answers, and asks it as
anonymous, deactivated, reviewer, owner (the reviewer who made the world's claim, verdict,
discussion post and flag, and is the task's assignee), lead and admin. A route with no row in
ROUTES fails the test: adding a route means adding one row here, nothing else.

A row is the minimum role ("public", "reviewer", "lead", "admin"), or own(role): the owner of
the object in the URL may do it too (a reviewer edits only their own claims and verdicts; a
lead edits any). Below the minimum a logged-in user gets 403; anonymous and deactivated users
get 401 (API and non-GET) or a redirect to the log-in page. Allowed requests must not be 401,
403 or 5xx. A refused request changes nothing; no request deletes a row (nothing is ever
deleted: retract and archive instead). After each allowed state change the world is rebuilt,
so one route's effect never decides another route's answer.
"""
from dataclasses import dataclass

import pytest

from tests.security.world import RANK, ROLES, build_world, row_counts, url_args


@dataclass(frozen=True, eq=False)
class Rule:
    min: str                     # "public", "reviewer", "lead" or "admin"
    owner: bool = False          # the owner of the object in the URL may do it too
    args: object = None          # URL argument overrides: a dict, or world -> dict
    body: object = None          # request body (JSON for /api/, form otherwise): a dict, or world -> dict

    def allows(self, role: str) -> bool:
        return RANK[role] >= RANK[self.min] or (self.owner and role == "owner")


def own(role, **kw) -> Rule:
    return Rule(getattr(role, "min", role), owner=True, **kw)


P, R, L, A = Rule("public"), Rule("reviewer"), Rule("lead"), Rule("admin")

# The one expectation table: "METHOD endpoint" -> who may.
ROUTES: dict[str, Rule] = {
    "GET static": P,
    # accounts
    "GET auth.login": P, "POST auth.login": P,
    "POST auth.logout": R,
    "GET auth.account": R, "POST auth.account": R,
    "POST auth.revoke_token": R,          # own tokens only: someone else's token id is a 404
    "GET auth.users": A, "POST auth.users": A,
    "POST auth.edit_user": A, "POST auth.unlock_user": A,
    # corpus
    "GET corpus.index": R, "GET corpus.post": R,
    "GET api.openapi": R, "GET api.list_posts": R, "GET api.get_post": R,
    # claims
    "POST api.create_claim": R, "GET api.get_claim": R,
    "PATCH api.update_claim": own(L, body={"version": 1, "statement": "edited"}),
    "POST api.retract_claim": own(L, body={"reason": "matrix"}),
    "POST api.restore_claim": own(L),
    "POST api.attach_span": R,
    "POST api.add_source": R,
    "POST api.retract_source": own(L),
    "PUT api.put_verdict": R,                # always the caller's own verdict
    "GET api.post_claims": R, "GET api.claim_history": R, "GET api.list_categories": R,
    "GET annotations.claim": R,
    "POST annotations.edit_claim": own(L, body=lambda w: {"version": 1, "statement": "edited", "category": w.ids["category_name"]}), "POST annotations.retract_or_restore": own(L),
    "POST annotations.give_verdict": R, "POST annotations.add_source": R,
    "GET annotations.categories": A, "POST annotations.categories": A, "POST annotations.update_category": A,
    # review: flags, discussion, adjudication, blind review
    "GET review.disputes": L, "GET review.claim": R, "GET review.agreement_page": L,
    "POST review.flag": R, "POST review.discuss": R,
    "POST review.clear_flag": L,
    "POST review.adjudicate": Rule(L.min, body={"a-rating": "mixed", "a-reasoning": "matrix"}), "POST review.reopen": Rule(L.min, body={"r-reason": "matrix"}),
    "POST review.assign_adjudicator": L, "POST review.blind_review": A,
    "GET api.disputes": L, "GET api.claim_review": R, "GET api.get_discussion": R,
    "POST api.flag_claim": R, "POST api.post_discussion": R,
    "POST api.clear_flag": L, "POST api.adjudicate": L, "POST api.reopen": L,
    "GET api.agreement_figures": L, "GET api.get_blind_review": R,
    "PUT api.put_blind_review": Rule(A.min, body={"blind_review": True}),
    # search, check-worthy suggestions, the same claim elsewhere
    "GET search.index": R, "GET api.search": R,
    "GET api.post_suggestions": R, "POST api.accept_suggestion": R, "POST api.dismiss_suggestion": R,
    "GET api.show_suggestions_setting": R, "PUT api.show_suggestions_setting": Rule(A.min, body={"value": False}),
    "POST api.matches": R, "GET api.claim_appearances": R,
    # exports (every role may export what it may read)
    "GET exports.index": R, "GET exports.download": R, "GET api.api_export": R,
    # imports (admins: the upload form, its report, the API)
    "GET imports.index": A, "POST imports.upload": A, "POST api.create_import": A,
    # tasks
    "GET tasks.my_queue": R, "GET tasks.board": L, "GET tasks.team": L,
    "POST tasks.move_task": own(L, args={"action": "start"}), "POST tasks.bulk": L, "POST tasks.reassign": L,
    "GET api.list_tasks": R, "GET api.get_task": own(L), "GET api.my_queue": R, "GET api.team": L,
    "POST api.create_task": Rule(L.min, body=lambda w: {"kind": "annotate_post", "post_id": w.ids["post_id"],
                                                       "assignee_id": w.uids["owner"]}), "PATCH api.update_task": L, "POST api.move_task": own(L, args={"action": "start"}),
    "POST api.bulk_assign_posts": L, "POST api.bulk_assign_checks": L,
}


def route_keys(app) -> dict:
    keys = {}
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            keys[f"{method} {rule.endpoint}"] = rule
    return keys


def build_url(app, rule, world, overrides) -> str:
    if rule.endpoint == "static":
        return "/static/css/workbench.css"
    args = url_args(rule, world, overrides(world) if callable(overrides) else overrides)
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **args)


def is_login_wall(resp, method) -> bool:
    if method == "GET":
        return resp.status_code == 401 or (resp.status_code in (302, 303) and "/login" in (resp.location or ""))
    return resp.status_code == 401


def send(client, method, url, body):
    kw = {}
    if method != "GET":
        if url.startswith("/api/"):
            kw["json"] = body if body is not None else {}
        else:
            kw["data"] = body if body is not None else {}
    return client._send(method, url, buffered=True, **kw) if method != "GET" else client.get(url, buffered=True)


class Walk:
    """The world plus one logged-in session per role (deactivated: logged in, then deactivated
    behind its back, so its live session must stop working)."""

    def __init__(self, app, db, tmp_path, tables):
        self.app, self.db, self.tmp_path, self.tables = app, db, tmp_path, tables
        self.world = build_world(db, tmp_path)
        self.clients = {}

    def reset(self):
        from tests.conftest import _empty_database
        self.db.session.remove()
        _empty_database(self.db.engine, *self.tables)
        self.world = build_world(self.db, self.tmp_path)
        self.clients = {}

    def client(self, role):
        from sqlalchemy import update
        from tests.conftest import Client
        from workbench.auth.models import User
        if role not in self.clients:
            c = Client(self.app.test_client())
            if role == "anonymous":
                c.csrf = c.fetch_csrf("/login")
            else:
                user_id = self.world.uids[role]
                if role == "deactivated":
                    self.db.session.execute(update(User).where(User.id == user_id).values(active=True))
                    self.db.session.commit()
                assert c.login(self.world.names[role]).status_code == 302, role
                if role == "deactivated":
                    self.db.session.execute(update(User).where(User.id == user_id).values(active=False))
                    self.db.session.commit()
            self.clients[role] = c
        return self.clients[role]


def _walk(app, db, tmp_path, _tables, only=None):
    from tests.security.world import fingerprint
    keys = route_keys(app)
    failures = []
    walk = Walk(app, db, tmp_path, _tables)
    checked = 0
    for key in sorted(keys):
        if key not in ROUTES or (only and not only(key)):
            continue
        method, endpoint = key.split(" ", 1)
        rule, expect = keys[key], ROUTES[key]
        for role in ROLES:
            allowed = expect.allows(role)
            client = walk.client(role)
            url = build_url(app, rule, walk.world, expect.args)
            body = expect.body(walk.world) if callable(expect.body) else expect.body
            before = row_counts(db) if allowed else fingerprint(db)
            try:
                resp = send(client, method, url, body)
            except Exception as exc:  # PROPAGATE_UNEXPECTED: a 500 in a real server
                failures.append(f"{key} as {role}: {method} {url} raised {exc!r}"[:400])
                walk.reset()
                continue
            resp.get_data()
            resp.close()
            after = row_counts(db) if allowed else fingerprint(db)
            status = resp.status_code
            checked += 1
            where = f"{key} as {role}: {method} {url} -> {status}"
            if status >= 500:
                failures.append(f"{where} (server error)")
            elif allowed:
                if status == 403 or is_login_wall(resp, method):
                    failures.append(f"{where}, expected allowed")
                shrunk = {t: (before[t], after[t]) for t in before if after.get(t, 0) < before[t]}
                if shrunk:
                    failures.append(f"{where} deleted rows: {shrunk}")
            elif RANK[role] == 0:
                if not is_login_wall(resp, method):
                    failures.append(f"{where}, expected 401 or the log-in page")
            elif status != 403:
                failures.append(f"{where}, expected 403")
            if not allowed and after != before:
                changed = sorted(t for t in before if after[t] != before[t])
                failures.append(f"{where}: a refused request changed {changed}")
            if method != "GET" and (allowed or after != before):
                walk.reset()
    return checked, failures


def test_every_route_has_a_row(app):
    keys = route_keys(app)
    missing = sorted(set(keys) - set(ROUTES))
    stale = sorted(set(ROUTES) - set(keys))
    assert not missing, "routes without a row in ROUTES (tests/security/test_authorization.py): " + ", ".join(missing)
    assert not stale, "rows in ROUTES for routes that no longer exist: " + ", ".join(stale)


def test_authorization_matrix(app, db, tmp_path, _tables):
    checked, failures = _walk(app, db, tmp_path, _tables)
    assert checked >= 6 * 60
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ["reviewer", "owner", "lead"])
def test_object_level_rules_are_enforced_by_the_services(app, db, tmp_path, role):
    """The rule behind own(): a reviewer edits and retracts only their own claim, and sets
    only their own verdict; a lead edits anyone's. The verdict route never touches another
    reviewer's verdict, whoever calls it."""
    from sqlalchemy import select
    from workbench.annotations.models import Verdict
    world = build_world(db, tmp_path)
    client = app.test_client()
    claim_id = world.ids["claim_id"]
    resp = client.patch(f"/api/v1/claims/{claim_id}", json={"version": 1, "statement": "changed by " + role},
                        headers=world.bearer(role))
    assert resp.status_code == (403 if role == "reviewer" else 200), resp.get_json()
    owner_id = world.uids["owner"]
    owners_before = db.session.scalar(select(Verdict.rating).where(
        Verdict.claim_id == claim_id, Verdict.reviewer_id == owner_id, Verdict.superseded_at.is_(None)))
    db.session.commit()
    resp = client.put(f"/api/v1/claims/{claim_id}/verdict", json={"rating": "mixed"}, headers=world.bearer(role))
    assert resp.status_code == 200
    current = dict(db.session.execute(select(Verdict.reviewer_id, Verdict.rating).where(
        Verdict.claim_id == claim_id, Verdict.superseded_at.is_(None))).all())
    assert current[world.uids[role]].value == "mixed"
    if role != "owner":
        assert current[owner_id] == owners_before
