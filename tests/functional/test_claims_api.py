"""The claims API: create, span checks, edit with versions, retract/restore, sources, verdicts."""
import pytest
from sqlalchemy import select


EMOJI_POST = ("Monday 22 October 2018\n\nEmoji test\n\nCRCs were forecasting losses of nearly £300 million.\n\n"
              "1 comment:\n\n  1. Top 👍🏽 comment\n\n    ReplyDelete\n    Replies\n"
              "    1. 😀 Great: 19 of 21 companies failed to meet their reoffending targets.\n\n      Delete\n")


@pytest.fixture
def corpus(post_and_reply):
    return post_and_reply("e.txt", EMOJI_POST)


def claim_body(post, comment=None, text=None, exact="19 of 21 companies", **extra):
    text = text if text is not None else (comment.text if comment else post.body)
    start = text.index(exact)
    body = {"post_id": post.id, "comment_id": comment.id if comment else None, "start": start,
            "end": start + len(exact), "exact": exact, "statement": "19 of 21 CRCs missed reoffending targets",
            "category": "reoffending"}
    body.update(extra)
    return body


def test_create_claim_on_reply_after_emoji(login, corpus):
    post, reply = corpus
    c = login("reviewer")
    body = claim_body(post, reply, sources=[{
        "url": "https://www.gov.uk/x", "title": "Proven reoffending", "publisher": "MoJ",
        "quote": "19 of the 21", "locator": "table 3", "stance": "supports", "accessed": "2020-01-02"}],
        verdict={"rating": "mostly_true", "rationale": "Table 3 says so."})
    # The emoji before the span is one code point (two UTF-16 units): start counts code points.
    assert body["start"] == len("😀 Great: ") == 9
    resp = c.post("/api/v1/claims", json=body)
    assert resp.status_code == 201, resp.get_json()
    data = resp.get_json()
    assert data["id"] and data["version"] == 1 and data["status"] == "agreed"
    assert resp.headers["Location"].endswith(f"/api/v1/claims/{data['id']}")
    span = data["spans"][0]
    assert span["comment_path"] == "1.1" and span["exact"] == "19 of 21 companies"
    assert span["prefix"] == "😀 Great: " and span["suffix"].startswith(" failed to meet")
    assert data["sources"][0]["stance"] == "supports" and data["sources"][0]["accessed"] == "2020-01-02"
    assert data["verdicts"][0]["rating"] == "mostly_true"
    again = c.get(f"/api/v1/claims/{data['id']}").get_json()
    assert again["statement"] == "19 of 21 CRCs missed reoffending targets"


@pytest.mark.parametrize("change,field,code", [
    ({"start": -1}, "start", "invalid_span"),
    ({"end": 10_000}, "end", "invalid_span"),
    ({"exact": "20 of 21 companies"}, "exact", "invalid_span"),
    ({"prefix": "not the prefix"}, "prefix", "invalid_span"),
    ({"statement": "   "}, "statement", "invalid"),
    ({"category": "astrology"}, "category", "invalid"),
    ({"start": "3"}, "start", "invalid"),
    ({"sources": [{"url": "javascript:alert(1)"}]}, "sources[0].url", "invalid"),
    ({"sources": [{"url": "ftp://x.org/"}]}, "sources[0].url", "invalid"),
    ({"verdict": {"rating": "pants on fire"}}, "verdict.rating", "invalid"),
])
def test_invalid_claims_are_refused_with_reason(login, corpus, db, change, field, code):
    post, reply = corpus
    body = claim_body(post, reply)
    body.update(change)
    resp = login().post("/api/v1/claims", json=body)
    assert resp.status_code == 422, resp.get_json()
    err = resp.get_json()["error"]
    assert err["field"] == field and err["code"] == code and err["message"]
    from workbench.annotations.models import Claim
    assert db.session.scalar(select(Claim.id)) is None


def test_utf16_offsets_are_refused_with_a_hint(login, corpus):
    post, reply = corpus
    body = claim_body(post, reply)
    body["start"] += 1  # what a browser counting UTF-16 units would send: the emoji is 2 units
    body["end"] += 1
    resp = login().post("/api/v1/claims", json=body)
    assert resp.status_code == 422
    assert "occurs at [9, 27)" in resp.get_json()["error"]["message"]


def test_bad_requests_are_json_4xx(login, corpus):
    post, reply = corpus
    c = login()
    assert c.post("/api/v1/claims", data="not json", headers={"Content-Type": "application/json"}).status_code == 400
    assert c.post("/api/v1/claims", json=[1, 2]).status_code == 400
    resp = c.post("/api/v1/claims", json=claim_body(post, reply, comment_id=99999))
    assert resp.status_code == 404 and resp.get_json()["error"]["field"] == "comment_id"
    assert c.get("/api/v1/claims/424242").status_code == 404


def test_overlapping_and_nested_spans(login, corpus):
    post, reply = corpus
    c = login()
    outer = claim_body(post, reply, exact="19 of 21 companies failed to meet their reoffending targets")
    inner = claim_body(post, reply, exact="21 companies failed")
    overlap = claim_body(post, reply, exact="failed to meet their")
    ids = [c.post("/api/v1/claims", json=b).get_json()["id"] for b in (outer, inner, overlap)]
    listed = c.get(f"/api/v1/posts/{post.id}/claims").get_json()["items"]
    assert sorted(x["id"] for x in listed) == sorted(ids)
    assert [x["spans"][0]["start"] for x in listed] == sorted(x["spans"][0]["start"] for x in listed)


def test_edit_with_version_and_stale_conflict(login, corpus):
    post, reply = corpus
    c = login()
    claim = c.post("/api/v1/claims", json=claim_body(post, reply)).get_json()
    ok = c.patch(f"/api/v1/claims/{claim['id']}", json={"version": 1, "statement": "19 of 21 CRCs missed targets"})
    assert ok.status_code == 200 and ok.get_json()["version"] == 2
    stale = c.patch(f"/api/v1/claims/{claim['id']}", json={"version": 1, "statement": "overwrite"})
    assert stale.status_code == 409
    err = stale.get_json()["error"]
    assert err["code"] == "conflict" and err["current_version"] == 2
    assert c.get(f"/api/v1/claims/{claim['id']}").get_json()["statement"] == "19 of 21 CRCs missed targets"
    missing = c.patch(f"/api/v1/claims/{claim['id']}", json={"statement": "no version"})
    assert missing.status_code == 422 and missing.get_json()["error"]["field"] == "version"


def test_only_author_or_lead_edits(login, corpus):
    post, reply = corpus
    author = login()
    claim = author.post("/api/v1/claims", json=claim_body(post, reply)).get_json()
    other = login()
    resp = other.patch(f"/api/v1/claims/{claim['id']}", json={"version": 1, "statement": "mine now"})
    assert resp.status_code == 403
    assert other.post(f"/api/v1/claims/{claim['id']}/retract").status_code == 403
    lead = login("lead")
    assert lead.patch(f"/api/v1/claims/{claim['id']}", json={"version": 1, "category": "other"}).status_code == 200


def test_retract_hides_and_restore_brings_back(login, corpus):
    post, reply = corpus
    c = login()
    claim = c.post("/api/v1/claims", json=claim_body(post, reply)).get_json()
    resp = c.post(f"/api/v1/claims/{claim['id']}/retract", json={"reason": "duplicate"})
    assert resp.status_code == 200 and resp.get_json()["retracted"] is True
    assert c.get(f"/api/v1/posts/{post.id}/claims").get_json()["items"] == []
    assert len(c.get(f"/api/v1/posts/{post.id}/claims?include_retracted=1").get_json()["items"]) == 1
    other = login()
    assert other.get(f"/api/v1/claims/{claim['id']}").status_code == 404  # others no longer see it
    assert other.get(f"/api/v1/posts/{post.id}/claims?include_retracted=1").get_json()["items"] == []  # nor list it
    assert len(login("lead").get(f"/api/v1/posts/{post.id}/claims?include_retracted=1").get_json()["items"]) == 1
    assert c.post(f"/api/v1/claims/{claim['id']}/restore").status_code == 200
    assert len(c.get(f"/api/v1/posts/{post.id}/claims").get_json()["items"]) == 1
    actions = [e["action"] for e in c.get(f"/api/v1/claims/{claim['id']}/history").get_json()["items"]]
    assert actions == ["create", "create", "retract", "restore"]


def test_verdict_is_per_reviewer_and_history_kept(login, corpus):
    post, reply = corpus
    a, b = login(), login()
    claim = a.post("/api/v1/claims", json=claim_body(post, reply)).get_json()
    url = f"/api/v1/claims/{claim['id']}/verdict"
    assert a.put(url, json={"rating": "true", "rationale": "first"}).status_code == 200
    data = a.put(url, json={"rating": "mostly_true", "rationale": "second look"}).get_json()
    assert [v["rating"] for v in data["verdicts"]] == ["mostly_true"]
    data = b.put(url, json={"rating": "false", "rationale": "no"}).get_json()
    assert data["status"] == "disputed" and len(data["verdicts"]) == 2
    hist = a.get(f"/api/v1/claims/{claim['id']}/history").get_json()["items"]
    verdict_events = [(e["action"], e["before"], e["after"]["rating"]) for e in hist if e["entity"] == "verdict"]
    assert verdict_events[0] == ("create", None, "true")
    assert verdict_events[1][0] == "update" and verdict_events[1][1]["rating"] == "true"
    assert a.put(url, json={"rating": "meh"}).status_code == 422


def test_blind_review_hides_others_verdicts_until_own(login, corpus):
    post, reply = corpus
    a, b = login(), login()
    claim = a.post("/api/v1/claims", json=claim_body(post, reply, verdict={"rating": "true"})).get_json()
    seen = b.get(f"/api/v1/claims/{claim['id']}").get_json()
    assert seen["verdicts"] == [] and seen["verdicts_hidden"] is True and seen["verdict_count"] == 1
    assert seen["status"] == "blind"
    after = b.put(f"/api/v1/claims/{claim['id']}/verdict", json={"rating": "false"}).get_json()
    assert len(after["verdicts"]) == 2 and after["status"] == "disputed"
    lead_view = login("lead").get(f"/api/v1/claims/{claim['id']}").get_json()
    assert len(lead_view["verdicts"]) == 2


def test_sources_added_and_retracted(login, corpus):
    post, reply = corpus
    c = login()
    claim = c.post("/api/v1/claims", json=claim_body(post, reply)).get_json()
    resp = c.post(f"/api/v1/claims/{claim['id']}/sources", json={"url": "http://example.org/a", "stance": "refutes"})
    assert resp.status_code == 201
    sid = resp.get_json()["id"]
    assert c.post(f"/api/v1/sources/{sid}/retract").status_code == 200
    assert login().post(f"/api/v1/sources/{sid}/restore").status_code == 403
    assert c.post(f"/api/v1/sources/{sid}/restore").get_json()["retracted"] is False


def test_attach_second_appearance(login, corpus):
    post, reply = corpus
    c = login()
    claim = c.post("/api/v1/claims", json=claim_body(post, reply)).get_json()
    body = claim_body(post, None, exact="£300 million")
    resp = c.post(f"/api/v1/claims/{claim['id']}/spans", json=body)
    assert resp.status_code == 201 and len(resp.get_json()["spans"]) == 2
    assert c.post(f"/api/v1/claims/{claim['id']}/spans", json=body).status_code == 409


def test_csrf_required_for_session_json(login, corpus):
    post, reply = corpus
    c = login()
    resp = c.c.post("/api/v1/claims", json=claim_body(post, reply))  # no X-CSRFToken
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "csrf_failed"


def test_claims_query_count_is_constant(login, corpus, query_counter):
    post, reply = corpus
    c = login()
    for exact in ("19 of 21", "21 companies", "reoffending targets"):
        c.post("/api/v1/claims", json=claim_body(post, reply, exact=exact, verdict={"rating": "true"}))
    url = f"/api/v1/posts/{post.id}/claims"
    with query_counter() as few:
        c.get(url)
    for exact in ("companies failed", "failed to meet", "meet their", "Great"):
        c.post("/api/v1/claims", json=claim_body(post, reply, exact=exact, verdict={"rating": "false"}))
    with query_counter() as many:
        items = c.get(url).get_json()["items"]
    assert len(items) == 7 and few["n"] == many["n"] <= 12, [s[:60] for s in many["sql"]]


def test_openapi_lists_claim_routes(login):
    spec = login().get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/claims", "/claims/{claim_id}", "/claims/{claim_id}/verdict", "/posts/{post_id}/claims",
                 "/posts", "/posts/{post_id}"):
        assert path in spec["paths"], path


def test_editing_two_fields_is_one_version_step(login, corpus):
    post, reply = corpus
    c = login()
    claim = c.post("/api/v1/claims", json=claim_body(post, reply)).get_json()
    data = c.patch(f"/api/v1/claims/{claim['id']}",
                   json={"version": 1, "statement": "Both fields", "category": "other"}).get_json()
    assert data["version"] == 2 and data["category"] == "other"


def test_history_respects_blind_review(login, corpus):
    post, reply = corpus
    a, b = login(), login()
    claim = a.post("/api/v1/claims", json=claim_body(post, reply,
                                                     verdict={"rating": "true", "rationale": "secret"})).get_json()
    events = b.get(f"/api/v1/claims/{claim['id']}/history").get_json()["items"]
    verdict_events = [e for e in events if e["entity"] == "verdict"]
    assert verdict_events and all(e["after"] is None for e in verdict_events)
    assert "secret" not in str(events)
    b.put(f"/api/v1/claims/{claim['id']}/verdict", json={"rating": "false"})
    events = b.get(f"/api/v1/claims/{claim['id']}/history").get_json()["items"]
    assert "secret" in str(events)
