"""POST /api/v1/claims answers from the values it wrote (no read-back): the answer must be exactly
what GET /api/v1/claims/<id> then gives the same user, and the rows, audit events and errors must be
what the ORM path wrote. Deterministic checks only, no timings."""
import json

import pytest
from sqlalchemy import select

from workbench import audit
from workbench.annotations import services
from workbench.annotations.models import Claim, ClaimSpan, Source, Verdict
from workbench.audit import AuditEvent

DUMP = ("Monday 22 October 2018\n\nFast path\n\nCRCs were forecasting losses of nearly £300 million, "
        "and 19 of 21 companies missed their targets.\n\n"
        "2 comments:\n\n  1. Top 👍🏽 comment about caseloads rising by 40 per cent.\n\n    ReplyDelete\n"
        "    Replies\n    1. 😀 Great: 19 of 21 companies failed to meet their reoffending targets.\n\n"
        "      Delete\n")


@pytest.fixture
def corpus(post_and_reply):
    return post_and_reply("f.txt", DUMP)


def body(post, comment=None, exact="19 of 21 companies", **extra):
    text = comment.text if comment else post.body
    start = text.index(exact)
    out = {"post_id": post.id, "comment_id": comment.id if comment else None, "start": start,
           "end": start + len(exact), "exact": exact, "statement": "  19 of 21   CRCs missed targets ",
           "category": "reoffending"}
    if extra.pop("context", False):  # the client sends (part of) the words either side
        out["prefix"], out["suffix"] = text[max(0, start - 5):start], text[start + len(exact):][:7]
    out.update(extra)
    return out


SOURCE = {"url": " https://www.gov.uk/x ", "title": " Proven reoffending ", "publisher": "MoJ",
          "quote": "19 of the 21", "locator": "table 3", "stance": "supports", "accessed": "2020-01-02"}

SHAPES = {
    "bare": {},
    "one source": {"sources": [SOURCE]},
    "two sources": {"sources": [SOURCE, {"url": "https://example.org/b", "stance": "refutes"}]},
    "verdict": {"verdict": {"rating": "mostly_true", "rationale": " Table 3 says so. "}},
    "source and verdict": {"sources": [SOURCE], "verdict": {"rating": "false"}},
    "category by id": {"category": None, "verdict": {"rating": "unverifiable"}},
    "with prefix and suffix": {"context": True, "sources": [SOURCE]},
}


def _category_id(db):
    from workbench.annotations.models import Category
    return db.session.scalar(select(Category.id).where(Category.name == "reoffending"))


@pytest.mark.parametrize("blind", [True, False], ids=["blind", "open"])
@pytest.mark.parametrize("role", ["reviewer", "lead"])
@pytest.mark.parametrize("where", ["body", "reply"])
def test_created_claim_answer_equals_the_claim_read_back(db, corpus, login, where, role, blind):
    from workbench.settings import set_flag
    set_flag("blind_review", blind)
    db.session.commit()
    post, reply = corpus
    client = login(role)
    for shape, extra in SHAPES.items():
        extra = dict(extra)
        if "category" in extra:
            extra["category"] = _category_id(db)
        resp = client.post("/api/v1/claims", json=body(post, reply if where == "reply" else None, **extra))
        assert resp.status_code == 201, (shape, resp.get_json())
        created = resp.get_json()
        assert resp.headers["Location"].endswith(f"/api/v1/claims/{created['id']}")
        again = client.get(f"/api/v1/claims/{created['id']}")
        assert again.status_code == 200
        assert created == again.get_json(), shape
        assert resp.get_data() == again.get_data(), shape  # the same bytes, not only the same JSON
        assert created["verdicts_hidden"] is (blind and role == "reviewer" and "verdict" not in extra), shape


def test_answer_matches_for_a_claim_whose_author_is_seen_by_another_user(db, corpus, login):
    """The claim JSON other users get is unchanged too (read path, for completeness)."""
    post, reply = corpus
    author = login("reviewer")
    created = author.post("/api/v1/claims", json=body(post, reply, sources=[SOURCE],
                                                      verdict={"rating": "false"})).get_json()
    other = login("reviewer").get(f"/api/v1/claims/{created['id']}").get_json()
    assert other["verdicts_hidden"] is True and other["verdicts"] == [] and other["status"] == "blind"
    lead = login("lead").get(f"/api/v1/claims/{created['id']}").get_json()
    assert lead["verdicts"] == created["verdicts"] and lead["my_verdict"] is None


def test_rows_and_audit_events_are_what_the_orm_path_wrote(db, corpus, login):
    post, reply = corpus
    client = login("reviewer")
    data = body(post, reply, sources=[SOURCE, {"url": "https://example.org/b"}],
                verdict={"rating": "mostly_false", "rationale": "no"})
    created = client.post("/api/v1/claims", json=data).get_json()
    db.session.commit()
    cid = created["id"]
    claim = db.session.get(Claim, cid)
    assert (claim.version, claim.statement, claim.category.name, claim.created_by_id, claim.post_id) == \
        (1, "19 of 21 CRCs missed targets", "reoffending", client.user.id, post.id)
    assert claim.retracted_at is None and claim.updated_at == claim.created_at and len(claim.uid) == 32
    [span] = claim.spans
    assert (span.comment_id, span.start, span.exact, span.prefix, span.suffix) == \
        (reply.id, 9, "19 of 21 companies", "😀 Great: ", " failed to meet their reoffendin")
    assert [s.url for s in claim.sources] == ["https://www.gov.uk/x", "https://example.org/b"]
    assert [s.title for s in claim.sources] == ["Proven reoffending", ""]
    assert [v.rating.value for v in claim.verdicts] == ["mostly_false"]
    assert len({claim.uid, span.uid, *(s.uid for s in claim.sources), claim.verdicts[0].uid}) == 5

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.claim_id == cid).order_by(AuditEvent.id)).all()
    assert [(e.entity_type, e.entity_id, e.action) for e in events] == [
        ("claim", cid, "create"), ("span", span.id, "create"),
        ("source", claim.sources[0].id, "create"), ("source", claim.sources[1].id, "create"),
        ("verdict", claim.verdicts[0].id, "create")]
    # Each event is exactly what audit.record builds for the same change (same JSON encoding).
    expected = [
        audit.record(client.user, "claim", cid, "create", after=services.claim_snapshot(claim), claim_id=cid),
        audit.record(client.user, "span", span.id, "create", claim_id=cid, after={
            "post_id": span.post_id, "comment_id": span.comment_id, "start": span.start, "end": span.end,
            "exact": span.exact}),
        *(audit.record(client.user, "source", s.id, "create", after=services.source_snapshot(s), claim_id=cid)
          for s in claim.sources),
        audit.record(client.user, "verdict", claim.verdicts[0].id, "create", claim_id=cid, before=None,
                     after={"rating": "mostly_false", "rationale": "no"})]
    for got, want in zip(events, expected):
        assert (got.actor_id, got.before, got.after, got.reason) == (want.actor_id, want.before, want.after, want.reason)
        assert got.at == claim.created_at
    db.session.rollback()
    history = client.get(f"/api/v1/claims/{cid}/history").get_json()["items"]
    assert [h["entity"] for h in history] == ["claim", "span", "source", "source", "verdict"]
    assert history[0]["after"] == {"category": "reoffending", "retracted": False,
                                   "statement": "19 of 21 CRCs missed targets", "version": 1}


def test_refused_claims_write_nothing(db, corpus, login):
    from workbench.annotations.models import Category
    from workbench.db import utcnow
    post, reply = corpus
    client = login("reviewer")
    gone = db.session.scalar(select(Category).where(Category.name != "reoffending").order_by(Category.id))
    gone.archived_at = utcnow()
    archived, archived_id = gone.name, gone.id
    db.session.commit()
    cases = [
        (dict(body(post, reply), exact="20 of 21 companies"), 422, "exact"),
        (dict(body(post, reply), end=10_000), 422, "end"),
        (body(post, reply, prefix="not the prefix"), 422, "prefix"),
        (body(post, reply, statement="  "), 422, "statement"),
        (body(post, reply, category="astrology"), 422, "category"),
        (body(post, reply, sources=[{"url": "https://ok.org/"}, {"url": "ftp://x"}]), 422, "sources[1].url"),
        (body(post, reply, verdict={"rating": "meh"}), 422, "verdict.rating"),
        (dict(body(post, reply), comment_id=reply.id + 1000), 404, "comment_id"),
        (dict(body(post), post_id=post.id + 1000), 404, "post_id"),
        (dict(body(post, reply), post_id=post.id + 1000), 404, "comment_id"),
        # the category is checked before the span's text, whichever is wrong
        (dict(body(post, reply), category="astrology", comment_id=reply.id + 1000), 422, "category"),
        (dict(body(post), category=10**6, post_id=post.id + 1000), 422, "category"),
        (dict(body(post, reply), comment_id=reply.id + 1000, sources=[{"url": "ftp://x"}]), 422, "sources[0].url"),
        (dict(body(post, reply), category=archived), 422, "category"),
        (dict(body(post, reply), category=archived_id), 422, "category"),
    ]
    for data, status, field in cases:
        resp = client.post("/api/v1/claims", json=data)
        assert resp.status_code == status, (data, resp.get_json())
        assert resp.get_json()["error"]["field"] == field
    db.session.commit()
    for model in (Claim, ClaimSpan, Source, Verdict, AuditEvent):
        assert db.session.scalar(select(model.id)) is None, model


def test_a_claim_on_a_post_that_does_not_exist_is_a_404(db, corpus, login):
    """It used to fail at the claim's foreign key (a misleading 409); the span check now runs first."""
    post, _ = corpus
    resp = login("reviewer").post("/api/v1/claims", json=dict(body(post), post_id=post.id + 1000))
    assert resp.status_code == 404
    assert resp.get_json()["error"] == {"code": "not_found", "field": "post_id",
                                        "message": f"No post {post.id + 1000}."}


def test_create_claim_service_still_returns_the_orm_claim(db, corpus, make_user):
    post, reply = corpus
    user = make_user("reviewer")
    audit.record(user, "claim", 0, "note")             # something the caller left pending is written first
    claim = services.create_claim(user, body(post, reply, sources=[SOURCE], verdict={"rating": "true"}))
    assert isinstance(claim, Claim) and claim.id
    assert [s.exact for s in claim.spans] == ["19 of 21 companies"]
    assert [s.stance.value for s in claim.sources] == ["supports"]
    assert [(v.reviewer_id, v.rating.value) for v in claim.verdicts] == [(user.id, "true")]
    actions = db.session.execute(select(AuditEvent.entity_type, AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [tuple(a) for a in actions] == [("claim", "note"), ("claim", "create"), ("span", "create"),
                                           ("source", "create"), ("verdict", "create")]
    db.session.commit()


def test_the_answer_escapes_nothing_and_keeps_text_exactly(db, corpus, login):
    post, reply = corpus
    client = login("reviewer")
    data = body(post, reply, statement="<script>alert('x')</script> & \"q\"",
                sources=[{"url": "https://example.org/?a=1&b=<2>", "title": "</title><b>"}])
    resp = client.post("/api/v1/claims", json=data)
    assert resp.status_code == 201 and resp.mimetype == "application/json"
    created = resp.get_json()
    assert created["statement"] == "<script>alert('x')</script> & \"q\""
    assert created["sources"][0]["title"] == "</title><b>"
    assert created == client.get(f"/api/v1/claims/{created['id']}").get_json()
    assert json.loads(resp.get_data()) == created


@pytest.mark.parametrize("blind", [True, False], ids=["blind", "open"])
def test_new_claim_json_equals_load_claims_for_any_viewer(db, corpus, make_user, blind):
    """The presenter on its own, for the author and for other viewers (blind review applies)."""
    from workbench.annotations import presenters
    from workbench.settings import set_flag
    set_flag("blind_review", blind)
    post, reply = corpus
    author, other, lead = make_user("reviewer"), make_user("reviewer"), make_user("lead")
    shapes = [body(post, reply, sources=[SOURCE], verdict={"rating": "false"}), body(post), body(post, reply)]
    written = [services.write_claim(author, data) for data in shapes]
    answers = {(w.id, v.id): presenters.new_claim_json(w, v) for w in written for v in (author, other, lead)}
    db.session.commit()
    for (claim_id, viewer_id), answer in answers.items():
        viewer = db.session.get(type(author), viewer_id)
        assert answer == presenters.load_claims([claim_id], viewer)[0], (claim_id, viewer.username)


@pytest.mark.parametrize("table,column", [("audit_event", "after"), ("verdict", "rationale")])
def test_a_claim_the_database_refuses_half_way_leaves_nothing(db, corpus, login, table, column):
    """The rows go in as separate INSERTs; a failure at the last of them still undoes them all."""
    from tests.reliability.test_atomicity import _add_trigger, _drop_trigger
    post, reply = corpus
    client = login("reviewer")
    db.session.commit()
    _add_trigger(db, table, column, "WB_REFUSE_ME")
    try:
        data = body(post, reply, statement="WB_REFUSE_ME", sources=[SOURCE],
                    verdict={"rating": "false", "rationale": "WB_REFUSE_ME"})
        try:
            status = client.post("/api/v1/claims", json=data).status_code
        except Exception:  # PostgreSQL's RAISE is not an IntegrityError: the test app re-raises it
            status = None
        assert status in (409, None)
    finally:
        db.session.rollback()
        _drop_trigger(db, table)
    for model in (Claim, ClaimSpan, Source, Verdict, AuditEvent):
        assert db.session.scalar(select(model.id)) is None, model
    assert client.post("/api/v1/claims", json=body(post, reply)).status_code == 201
