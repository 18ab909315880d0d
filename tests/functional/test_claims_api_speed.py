"""The claims API answers from rows written straight as JSON text (the speed work on a post with
1,000 claims): GET /posts/<id>/claims, GET /claims/<id>, and the answers of PATCH, PUT verdict,
retract, restore and a new span, which no longer read the claim back after writing.

The answers must be the same bytes as before. The presenter as it was (ORM-free rows turned into
dicts, then jsonify, which sorts every object's keys) is kept below as the reference (ref_*), and a
small world with a claim in every state is read through both, for every kind of viewer, with
blind review on and off. Deterministic checks only, no timings (bench/claim_api_bench.py --list
measures them)."""
import json

import pytest
from sqlalchemy import select, text

from workbench.annotations import presenters, schemas, services
from workbench.annotations.models import Category, Claim, ClaimSpan, Source
from workbench.annotations.status import Status, review_state
from workbench.auth.models import User
from workbench.corpus.models import Comment, Post
from workbench.db import isoformat
from workbench.extensions import db as _db
from workbench.permissions import Permission, can
from workbench.review import services as review
from workbench.settings import get_flag, set_flag

# --- the presenter as it was before (workbench/annotations/presenters.py at 81c5872) -----------


def ref_user_json(user):
    if user is None:
        return None
    return {"id": user.id, "name": user.display_name or user.username, "username": user.username}


def ref_span_json(span, comment_path):
    return {"id": span.id, "post_id": span.post_id, "comment_id": span.comment_id,
            "comment_path": comment_path, "start": span.start, "end": span.end, "exact": span.exact,
            "prefix": span.prefix, "suffix": span.suffix, "created_at": isoformat(span.created_at)}


def ref_source_json(s, people):
    return {"id": s.id, "url": s.url, "title": s.title, "publisher": s.publisher, "quote": s.quote,
            "locator": s.locator, "stance": s.stance.value,
            "accessed": s.accessed.isoformat() if s.accessed else None,
            "created_by": ref_user_json(people.get(s.created_by_id)),
            "created_at": isoformat(s.created_at), "retracted": s.retracted_at is not None}


def ref_verdict_json(v, people):
    return {"id": v.id, "reviewer": ref_user_json(people[v.reviewer_id]), "rating": v.rating.value,
            "rationale": v.rationale, "created_at": isoformat(v.created_at)}


def ref_users(ids):
    if not ids:
        return {}
    return {u.id: u for u in _db.session.execute(
        select(User.id, User.username, User.display_name).where(User.id.in_(ids)))}


def ref_claim_json(claim, spans, sources, state, viewer, blind_on, people, sees_all):
    verdicts = state["verdicts"]
    viewer_id = getattr(viewer, "id", None)
    mine = next((v for v in verdicts if viewer_id is not None and v.reviewer_id == viewer_id), None)
    blind = blind_on and viewer is not None and mine is None and not sees_all and state["adjudication"] is None
    status = state["status"]
    adjudication = state["adjudication"]
    return {
        "id": claim.id, "version": claim.version, "post_id": claim.post_id,
        "statement": claim.statement, "category": claim.category_name,
        "status": "blind" if blind and status in (Status.AGREED, Status.DISPUTED) else status.value,
        "created_by": ref_user_json(people.get(claim.created_by_id)), "created_at": isoformat(claim.created_at),
        "updated_at": isoformat(claim.updated_at),
        "retracted": claim.retracted_at is not None, "retracted_at": isoformat(claim.retracted_at),
        "retract_reason": claim.retract_reason, "spans": spans, "sources": sources,
        "verdict_count": len(verdicts), "verdicts_hidden": blind,
        "verdicts": [] if blind else [ref_verdict_json(v, people) for v in verdicts],
        "my_verdict": ref_verdict_json(mine, people) if mine else None,
        "flags": [] if blind else [{"id": f.id, "reason": f.reason, "created_at": isoformat(f.created_at),
                                    "created_by": ref_user_json(people.get(f.created_by_id))}
                                   for f in state["flags"]],
        "adjudication": None if adjudication is None else {
            "id": adjudication.id, "rating": adjudication.rating.value, "reasoning": adjudication.reasoning,
            "lead": ref_user_json(people.get(adjudication.lead_id)), "created_at": isoformat(adjudication.created_at)},
    }


def ref_load_claims(claim_ids, viewer):
    if not claim_ids:
        return []
    claims = {r.id: r for r in _db.session.execute(
        select(Claim.id, Claim.version, Claim.post_id, Claim.statement, Category.name.label("category_name"),
               Claim.created_by_id, Claim.created_at, Claim.updated_at, Claim.retracted_at, Claim.retract_reason)
        .join(Category, Category.id == Claim.category_id).where(Claim.id.in_(claim_ids)))}
    spans = {cid: [] for cid in claim_ids}
    for row in _db.session.execute(
            select(*ClaimSpan.__table__.c, Comment.path.label("comment_path"))
            .outerjoin(Comment, Comment.id == ClaimSpan.comment_id)
            .where(ClaimSpan.claim_id.in_(claim_ids), ClaimSpan.retracted_at.is_(None)).order_by(ClaimSpan.id)):
        spans[row.claim_id].append(ref_span_json(row, row.comment_path))
    source_rows = _db.session.execute(select(*Source.__table__.c).where(Source.claim_id.in_(claim_ids))
                                      .order_by(Source.id)).all()
    state = review_state(claim_ids)
    people = ref_users({c.created_by_id for c in claims.values()} | {r.created_by_id for r in source_rows}
                       | {v.reviewer_id for st in state.values() for v in st["verdicts"]}
                       | {f.created_by_id for st in state.values() for f in st["flags"]}
                       | {st["adjudication"].lead_id for st in state.values() if st["adjudication"]})
    sources = {cid: [] for cid in claim_ids}
    for r in source_rows:
        if r.retracted_at is None or (viewer is not None and can(viewer, Permission.EDIT_ANY_CLAIM, r)):
            sources[r.claim_id].append(ref_source_json(r, people))
    blind_on = get_flag("blind_review")
    sees_all = viewer is not None and can(viewer, Permission.SEE_ALL_VERDICTS)
    return [ref_claim_json(claims[cid], spans[cid], sources[cid], state[cid], viewer, blind_on, people, sees_all)
            for cid in claim_ids if cid in claims]


def ref_post_claim_ids(post_id, include_retracted=False, viewer=None):
    stmt = (select(ClaimSpan.claim_id, Comment.position, ClaimSpan.start)
            .join(Claim, Claim.id == ClaimSpan.claim_id)
            .outerjoin(Comment, Comment.id == ClaimSpan.comment_id)
            .where(ClaimSpan.post_id == post_id, ClaimSpan.retracted_at.is_(None)))
    if not include_retracted:
        stmt = stmt.where(Claim.retracted_at.is_(None))
    elif viewer is not None and not can(viewer, Permission.EDIT_ANY_CLAIM):
        # Added after the speed work: a retracted claim is listed only to its author and leads.
        stmt = stmt.where((Claim.retracted_at.is_(None)) | (Claim.created_by_id == viewer.id))
    rows = sorted(_db.session.execute(stmt).all(),
                  key=lambda r: (-1 if r.position is None else r.position, r.start, r.claim_id))
    return list(dict.fromkeys(r.claim_id for r in rows))


def ref_bytes(app, value) -> bytes:
    """What jsonify sent for the value (the app's own JSON provider: compact, keys sorted)."""
    return app.json.response(value).get_data()


# --- a small world with a claim in every state ----------------------------------------------

HOSTILE = '</script><b>&amp;</b> "q" \\ ünïcödé 👍🏽 \u2028 é'

DUMP_A = ("Monday 4 March 2019\n\nThe speed post\n\nThe CRCs were forecasting losses of £300 million, "
          "and 19 of 21 companies missed their targets.\n\n"
          "3 comments:\n\n  1. First 👍🏽 comment: caseloads rose by 40 per cent in a year.\n\n    ReplyDelete\n"
          "    Replies\n    1. Reply: reoffending fell by 2 per cent, says the report.\n\n      Delete\n"
          "  2. Second comment: probation staff numbers dropped by a fifth.\n\n    ReplyDelete\n")
DUMP_B = ("Tuesday 5 March 2019\n\nThe other post\n\nCaseloads rose by 40 per cent, the union said.\n\n"
          "1 comments:\n\n  1. Only comment: staff numbers dropped again.\n\n    ReplyDelete\n")


def on(post, words, comment=None):
    text_ = comment.text if comment else post.body
    start = text_.index(words)
    return {"post_id": post.id, "comment_id": comment.id if comment else None, "start": start,
            "end": start + len(words), "exact": words}


@pytest.fixture
def world(db, import_dumps, make_user):
    import_dumps({"a.txt": DUMP_A, "b.txt": DUMP_B})
    a = db.session.scalar(select(Post).where(Post.title == "The speed post"))
    b = db.session.scalar(select(Post).where(Post.title == "The other post"))
    ca = db.session.scalars(select(Comment).where(Comment.post_id == a.id).order_by(Comment.position)).all()
    cb = db.session.scalars(select(Comment).where(Comment.post_id == b.id)).first()
    author, second, third = make_user("reviewer"), make_user("reviewer"), make_user("reviewer")
    outsider, lead, admin = make_user("reviewer"), make_user("lead"), make_user("admin")
    second.display_name = HOSTILE
    v = schemas.parse_verdict
    made = {}

    def claim(name, span, who=author, **extra):
        made[name] = services.create_claim(who, {**span, "statement": extra.pop("statement", f"About {name}"),
                                                 "category": extra.pop("category", "other"), **extra})
        return made[name]
    # Created out of reading order on purpose: the list is in order of first appearance.
    multi = claim("multi", on(a, "staff numbers", ca[2]), verdict={"rating": "mixed"})
    services.attach_span(author, multi, on(a, "caseloads rose", ca[0]))
    services.attach_span(author, multi, on(b, "staff numbers", cb))
    gone = services.attach_span(author, multi, on(a, "reoffending fell", ca[1]))
    gone.retracted_at = multi.created_at               # a retracted appearance is not listed
    claim("none", on(a, "forecasting losses"))
    agreed = claim("agreed", on(a, "19 of 21 companies"), verdict={"rating": "true", "rationale": HOSTILE})
    services.set_verdict(second, agreed, v({"rating": "true"}))
    disputed = claim("disputed", on(a, "40 per cent", ca[0]), statement=HOSTILE, verdict={"rating": "true"},
                     sources=[{"url": "https://example.org/a?b=<c>&d='e'", "title": HOSTILE, "publisher": "ONS ✓",
                               "quote": "q\n\"x\"", "locator": "p. 3", "stance": "refutes", "accessed": "2020-01-02"},
                              {"url": "https://example.org/kept"}])
    services.set_verdict(second, disputed, v({"rating": "mostly_false", "rationale": "no"}))
    services.set_source_retracted(author, disputed.sources[0], True)   # seen by the author and leads only
    services.add_source(lead, disputed, schemas.parse_source({"url": "https://example.org/by-lead"}))
    services.set_source_retracted(lead, disputed.sources[2], True)     # the author does not see this one
    flagged = claim("flagged", on(a, "2 per cent", ca[1]), verdict={"rating": "false"})
    review.flag_claim(third, flagged, "Check <this>.")
    cleared = review.flag_claim(second, flagged, "cleared one")
    review.clear_flag(lead, cleared, "fine")
    adjudicated = claim("adjudicated", on(a, "probation staff", ca[2]), who=second, verdict={"rating": "true"})
    services.set_verdict(author, adjudicated, v({"rating": "false"}))
    review.adjudicate(lead, adjudicated, "mixed", "First try")
    review.reopen(lead, adjudicated, "More evidence")
    review.adjudicate(lead, adjudicated, "mostly_true", "Settled ✓")
    changed = claim("changed", on(a, "£300 million"), verdict={"rating": "false"})
    services.set_verdict(author, changed, v({"rating": "mostly_false", "rationale": "on reflection"}))
    services.update_claim(lead, changed, {"version": changed.version, "statement": "Edited “quotes”",
                                          "category": "reoffending"})
    retracted = claim("retracted", on(a, "missed their targets"), verdict={"rating": "true"})
    services.retract_claim(lead, retracted, {"reason": "duplicate <x>"})
    claim("lead's", on(a, "a year", ca[0]), who=lead)
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        # Timestamps stored in other shapes than SQLAlchemy's own (to the second, a short fraction)
        db.session.execute(text("UPDATE claim SET created_at = '2019-03-04 05:06:07' WHERE id = :id"),
                           {"id": made["none"].id})
        db.session.execute(text("UPDATE claim SET updated_at = '2019-03-04 05:06:07.5' WHERE id = :id"),
                           {"id": made["none"].id})
        db.session.commit()
    viewers = {"author": author, "second": second, "outsider": outsider, "lead": lead, "admin": admin}
    return a, b, made, viewers


def users(db, viewers):
    return {k: db.session.get(User, u.id) for k, u in viewers.items()}


@pytest.mark.parametrize("blind", [True, False], ids=["blind", "open"])
def test_claims_list_is_the_same_bytes_as_before(app, db, world, login, blind):
    a, b, made, viewers = world
    set_flag("blind_review", blind)
    db.session.commit()
    for name, user in users(db, viewers).items():
        client = login(user=user)
        for post in (a, b):
            for query, include in (("", False), ("?include_retracted=1", True), ("?include_retracted=0", False)):
                resp = client.get(f"/api/v1/posts/{post.id}/claims{query}")
                assert resp.status_code == 200 and resp.mimetype == "application/json"
                db.session.rollback()
                want = ref_bytes(app, {"items": ref_load_claims(ref_post_claim_ids(post.id, include, user), user)})
                assert resp.get_data() == want, (name, post.title, query)
        # the claims in every state are there, in reading order
        # (a retracted claim only for its author and those who edit any claim)
        items = json.loads(client.get(f"/api/v1/posts/{a.id}/claims?include_retracted=1").get_data())["items"]
        order = ["none", "changed", "agreed", "retracted", "multi", "disputed", "lead's", "flagged", "adjudicated"]
        if name in ("second", "outsider"):
            order.remove("retracted")
        assert [i["id"] for i in items] == [made[n].id for n in order]


@pytest.mark.parametrize("blind", [True, False], ids=["blind", "open"])
def test_one_claim_is_the_same_bytes_as_before(app, db, world, login, blind):
    _, _, made, viewers = world
    set_flag("blind_review", blind)
    db.session.commit()
    seen = set()
    for name, user in users(db, viewers).items():
        client = login(user=user)
        for claim_name, claim in made.items():
            resp = client.get(f"/api/v1/claims/{claim.id}")
            db.session.rollback()
            if resp.status_code == 404:        # a retracted claim, for a reviewer who did not make it
                assert claim_name == "retracted" and name in ("second", "outsider"), (name, claim_name)
                continue
            assert resp.status_code == 200
            assert resp.get_data() == ref_bytes(app, ref_load_claims([claim.id], user)[0]), (name, claim_name)
            seen.add(json.loads(resp.get_data())["status"])
    assert seen == ({"no_verdict", "agreed", "disputed", "adjudicated", "blind"} if blind
                    else {"no_verdict", "agreed", "disputed", "adjudicated"})


def test_load_claims_gives_the_same_dicts_as_before(db, world):
    """The other callers of load_claims (review pages, search, the claim page) get what they got."""
    a, _, made, viewers = world
    ids = [c.id for c in made.values()] + [made["none"].id, 10**6]   # a repeat, and an id that is no claim
    for name, user in users(db, viewers).items():
        assert presenters.load_claims(ids, user) == ref_load_claims(ids, user), name
        assert presenters.load_claims(ids, None) == ref_load_claims(ids, None)
    assert presenters.load_claims([], viewers["lead"]) == []


def test_an_unknown_post_is_still_a_404_and_an_empty_one_an_empty_list(db, world, login, import_dumps):
    a, _, _, _ = world
    import_dumps({"c.txt": DUMP_A.replace("4 March", "6 March").replace("The speed post", "Empty post")})
    empty = db.session.scalar(select(Post.id).where(Post.title == "Empty post"))
    client = login("reviewer")
    resp = client.get(f"/api/v1/posts/{a.id + 1000}/claims")
    assert resp.status_code == 404
    assert resp.get_json()["error"] == {"code": "not_found", "field": None, "message": f"No post {a.id + 1000}."}
    resp = client.get(f"/api/v1/posts/{empty}/claims")
    assert resp.status_code == 200 and resp.get_data() == b'{"items":[]}\n'


def test_outside_the_compact_encoding_the_answer_goes_through_jsonify(app, db, world, login):
    """Debug mode (or compact = False) indents the JSON: the text path steps aside for jsonify."""
    a, _, made, viewers = world
    user = db.session.get(User, viewers["lead"].id)
    client = login(user=user)
    app.json.compact = False
    try:
        resp = client.get(f"/api/v1/posts/{a.id}/claims")
        one = client.get(f"/api/v1/claims/{made['disputed'].id}")
        db.session.rollback()
        assert resp.get_data() == ref_bytes(app, {"items": ref_load_claims(ref_post_claim_ids(a.id), user)})
        assert one.get_data() == ref_bytes(app, ref_load_claims([made["disputed"].id], user)[0])
        assert b'\n  "items": [' in resp.get_data()
    finally:
        app.json.compact = None


def _answers_as_before(app, db, client, resp, claim_id, status=200):
    """The write's answer is what the old route sent: the claim read back after the commit
    (ref_load_claims for the same user), and what a GET now gives."""
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    db.session.rollback()
    user = db.session.get(User, client.user.id)
    assert resp.get_data() == ref_bytes(app, ref_load_claims([claim_id], user)[0])
    assert resp.get_data() == client.get(f"/api/v1/claims/{claim_id}").get_data()


@pytest.mark.parametrize("blind", [True, False], ids=["blind", "open"])
def test_writes_answer_the_same_bytes_as_reading_the_claim_back(app, db, world, login, blind):
    a, b, made, viewers = world
    set_flag("blind_review", blind)
    db.session.commit()
    author = login(user=db.session.get(User, viewers["author"].id))
    lead = login(user=db.session.get(User, viewers["lead"].id))
    outsider = login(user=db.session.get(User, viewers["outsider"].id))
    for name in ("disputed", "multi", "flagged", "none"):
        cid = made[name].id
        version = author.get(f"/api/v1/claims/{cid}").get_json()["version"]
        resp = author.patch(f"/api/v1/claims/{cid}", json={"version": version, "statement": f"New {HOSTILE}"})
        _answers_as_before(app, db, author, resp, cid)
        version = resp.get_json()["version"]
        resp = lead.patch(f"/api/v1/claims/{cid}", json={"version": version, "category": "reoffending",
                                                         "reason": "recategorised"})
        _answers_as_before(app, db, lead, resp, cid)
        resp = lead.patch(f"/api/v1/claims/{cid}", json={"version": resp.get_json()["version"]})   # no change
        _answers_as_before(app, db, lead, resp, cid)
        for client, rating in ((outsider, "true"), (outsider, "false"), (outsider, "false"), (lead, "mixed")):
            resp = client.put(f"/api/v1/claims/{cid}/verdict", json={"rating": rating, "rationale": "ü"})
            _answers_as_before(app, db, client, resp, cid)
        resp = author.post(f"/api/v1/claims/{cid}/retract", json={"reason": "<why>"})
        _answers_as_before(app, db, author, resp, cid)
        resp = lead.post(f"/api/v1/claims/{cid}/restore", json={"reason": "back"})
        _answers_as_before(app, db, lead, resp, cid)
        resp = lead.post(f"/api/v1/claims/{cid}/retract")   # no body
        _answers_as_before(app, db, lead, resp, cid)
        resp = author.post(f"/api/v1/claims/{cid}/restore")
        _answers_as_before(app, db, author, resp, cid)
    comment = db.session.scalars(select(Comment).where(Comment.post_id == b.id)).first()
    resp = author.post(f"/api/v1/claims/{made['none'].id}/spans", json=on(b, "Only comment", comment))
    _answers_as_before(app, db, author, resp, made["none"].id, 201)
    assert resp.headers["Location"].endswith(f"/api/v1/claims/{made['none'].id}")
    assert [s["post_id"] for s in resp.get_json()["spans"]] == [a.id, b.id]


def test_refused_writes_still_change_nothing(db, world, login):
    _, _, made, viewers = world
    cid = made["agreed"].id
    outsider = login(user=db.session.get(User, viewers["outsider"].id))
    author = login(user=db.session.get(User, viewers["author"].id))
    before = author.get(f"/api/v1/claims/{cid}").get_data()
    assert outsider.patch(f"/api/v1/claims/{cid}", json={"version": 1, "statement": "x"}).status_code == 403
    assert author.patch(f"/api/v1/claims/{cid}", json={"version": 99, "statement": "x"}).status_code == 409
    assert author.patch(f"/api/v1/claims/{cid}", json={"version": 1, "category": "astrology"}).status_code == 422
    assert author.put(f"/api/v1/claims/{cid}/verdict", json={"rating": "meh"}).status_code == 422
    assert author.post(f"/api/v1/claims/{cid}/restore").status_code == 409
    assert author.get(f"/api/v1/claims/{cid}").get_data() == before


def test_the_claim_row_is_read_once_by_a_write(db, world, login, query_counter):
    """The answer is built from the claim the route already holds (with its category, read in
    the same query), before the commit: no SELECT of the claim, and no user, after the UPDATE."""
    _, _, made, viewers = world
    lead = login(user=db.session.get(User, viewers["lead"].id))
    cid = made["disputed"].id
    lead.get(f"/api/v1/claims/{cid}")
    version = lead.get(f"/api/v1/claims/{cid}").get_json()["version"]
    calls = {
        "patch": lambda: lead.patch(f"/api/v1/claims/{cid}", json={"version": version, "statement": "Shorter"}),
        "verdict": lambda: lead.put(f"/api/v1/claims/{cid}/verdict", json={"rating": "false"}),
        "retract": lambda: lead.post(f"/api/v1/claims/{cid}/retract", json={"reason": "r"}),
        "restore": lambda: lead.post(f"/api/v1/claims/{cid}/restore", json={"reason": "r"}),
        "get": lambda: lead.get(f"/api/v1/claims/{cid}"),
    }
    for name, call in calls.items():
        with query_counter() as box:
            assert call().status_code == 200, name
        sql = [s.replace('"', "") for s in box["sql"] if not s.startswith(("BEGIN", "SET "))]
        claim_reads = [s for s in sql if s.startswith("SELECT claim.")]
        assert len(claim_reads) == 1, (name, sql)
        assert not any(s.startswith("SELECT category") for s in sql), (name, sql)   # joined to the claim
        assert sum(s.startswith("SELECT user.id, user.username, user.display_name, user.password_hash")
                   for s in sql) == 1, (name, sql)                                  # the session's log-in only
