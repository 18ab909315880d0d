"""Suggestions, accept and dismiss, the admin switch, matches across figure spellings, appearances."""
import pytest
from sqlalchemy import select

from workbench.audit import AuditEvent
from workbench.corpus.models import Comment, Post
from workbench.search.models import ClaimFigure, SuggestionDismissal

DUMPS = {
    "a.txt": ("Monday 22 October 2018\n\nLosses\n\nCRCs were forecasting losses of £300m by 2018. It was a "
              "grim day.\n\n1 comment:\n\n  1. I read that 19 out of 21 CRCs missed their targets.\n\n"
              "    ReplyDelete\n"),
    "b.txt": ("Tuesday 5 March 2019\n\nMore losses\n\nThe MoJ said losses reached £300 million last year.\n\n"
              "1 comment:\n\n  1. Nonsense, it was 300 million pounds, and 19 of the 21 companies failed.\n\n"
              "    ReplyDelete\n"),
    "c.txt": ("Wednesday 1 May 2013\n\nEarly warning\n\nA think tank warned of £300m in losses.\n\n"
              "1 comment:\n\n  1. Lovely weather today.\n\n    ReplyDelete\n"),
}


@pytest.fixture
def corpus(db, import_dumps):
    import_dumps(DUMPS)  # asserts that every file imported
    posts = {p.title: p for p in db.session.scalars(select(Post))}
    comments = {c.post_id: c for c in db.session.scalars(select(Comment))}
    return posts, comments


def test_suggestions_list_with_reasons_and_figures(login, corpus):
    posts, comments = corpus
    c = login("reviewer")
    post = posts["Losses"]
    items = c.get(f"/api/v1/posts/{post.id}/suggestions").get_json()["items"]
    body = next(i for i in items if i["comment_id"] is None)
    assert body["exact"] == "CRCs were forecasting losses of £300m by 2018."
    assert post.body[body["start"]:body["end"]] == body["exact"]
    assert body["figure"] == {"value": 300000000, "unit": "GBP", "period": "2018"}
    assert body["reasons"][0] == "money" and "attribution" in body["reasons"] and 0 < body["score"] <= 1
    reply = next(i for i in items if i["comment_id"] == comments[post.id].id)
    assert reply["figure"]["unit"] == "out of 21" and "count" in reply["reasons"]
    assert all("grim day" not in i["exact"] for i in items)
    assert c.get("/api/v1/posts/99999/suggestions").status_code == 404


def test_accept_creates_claim_with_figure_and_hides_suggestion(login, corpus, db):
    posts, _ = corpus
    c = login("reviewer")
    post = posts["Losses"]
    s = c.get(f"/api/v1/posts/{post.id}/suggestions").get_json()["items"][0]
    resp = c.post(f"/api/v1/posts/{post.id}/suggestions/accept",
                  json={k: s[k] for k in ("comment_id", "start", "end", "exact")})
    assert resp.status_code == 201, resp.get_json()
    claim = resp.get_json()
    assert claim["statement"] == s["exact"] and claim["category"] == "CRC finances"
    assert claim["spans"][0]["start"] == s["start"] and claim["figure"]["value"] == 300000000
    db.session.commit()
    fig = db.session.scalar(select(ClaimFigure).where(ClaimFigure.claim_id == claim["id"]))
    assert (fig.value, fig.unit, fig.period) == (300000000, "GBP", "2018")
    left = c.get(f"/api/v1/posts/{post.id}/suggestions").get_json()["items"]
    assert s["exact"] not in [i["exact"] for i in left]
    again = c.post(f"/api/v1/posts/{post.id}/suggestions/accept",
                   json={k: s[k] for k in ("comment_id", "start", "end", "exact")})
    assert again.status_code == 409 and again.get_json()["error"]["claim_id"] == claim["id"]


def test_dismiss_is_remembered_and_audited(login, corpus, db):
    posts, _ = corpus
    c = login("reviewer")
    post = posts["More losses"]
    s = c.get(f"/api/v1/posts/{post.id}/suggestions").get_json()["items"][0]
    span = {k: s[k] for k in ("comment_id", "start", "end", "exact")}
    resp = c.post(f"/api/v1/posts/{post.id}/suggestions/dismiss", json=span | {"reason": "already checked"})
    assert resp.status_code == 201
    other = login("reviewer")
    assert s["exact"] not in [i["exact"] for i in other.get(f"/api/v1/posts/{post.id}/suggestions").get_json()["items"]]
    assert c.post(f"/api/v1/posts/{post.id}/suggestions/dismiss", json=span).status_code == 409
    db.session.commit()
    assert db.session.scalar(select(SuggestionDismissal)).reason == "already checked"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "suggestion")).action == "dismiss"
    bad = c.post(f"/api/v1/posts/{post.id}/suggestions/dismiss", json=span | {"exact": "not the text"})
    assert bad.status_code == 422
    assert c.post(f"/api/v1/posts/{post.id}/suggestions/dismiss", json={"start": "x"}).status_code == 422


def test_admin_hides_suggestions_for_blind_pass(login, corpus):
    posts, _ = corpus
    reviewer, admin = login("reviewer"), login("admin")
    assert reviewer.put("/api/v1/settings/show_suggestions", json={"value": False}).status_code == 403
    assert admin.put("/api/v1/settings/show_suggestions", json={"value": False}).get_json()["value"] is False
    data = reviewer.get(f"/api/v1/posts/{posts['Losses'].id}/suggestions").get_json()
    assert data == {"items": [], "hidden": True}
    admin.put("/api/v1/settings/show_suggestions", json={"value": True})
    assert reviewer.get(f"/api/v1/posts/{posts['Losses'].id}/suggestions").get_json()["items"]


def test_matches_across_figure_spellings_and_attach(login, corpus, db):
    posts, comments = corpus
    c = login("reviewer")
    first = posts["Losses"]
    exact = "losses of £300m"
    start = first.body.index(exact)
    existing = c.post("/api/v1/claims", json={
        "post_id": first.id, "comment_id": None, "start": start, "end": start + len(exact), "exact": exact,
        "statement": "CRCs forecast losses of £300m", "category": "CRC finances"}).get_json()
    second = posts["More losses"]
    sel = "losses reached £300 million last year"
    s2 = second.body.index(sel)
    data = c.post("/api/v1/matches", json={"post_id": second.id, "comment_id": None, "start": s2,
                                           "end": s2 + len(sel), "exact": sel, "statement": sel}).get_json()
    assert data["figures"][0]["value"] == 300000000
    places = {(p["post_id"], p["comment_id"]) for p in data["places"]}
    # "£300m" (post a), "300 million pounds" (a comment of post b), "£300m" (post c); not the selection itself.
    assert (first.id, None) in places and (second.id, comments[second.id].id) in places
    assert (posts["Early warning"].id, None) in places and (second.id, None) not in places
    assert [m["id"] for m in data["claims"]] == [existing["id"]]
    assert any("same figure" in r for r in data["claims"][0]["reasons"])
    attach = c.post(f"/api/v1/claims/{existing['id']}/spans",
                    json={"post_id": second.id, "comment_id": None, "start": s2, "end": s2 + len(sel), "exact": sel})
    assert attach.status_code == 201
    # A third spelling, from the 2013 post: the first appearance comes first.
    early = posts["Early warning"]
    e = early.body.index("£300m")
    c.post(f"/api/v1/claims/{existing['id']}/spans",
           json={"post_id": early.id, "comment_id": None, "start": e, "end": e + 5, "exact": "£300m"})
    app_data = c.get(f"/api/v1/claims/{existing['id']}/appearances").get_json()
    assert [a["date"] for a in app_data["items"]] == ["2013-05-01", "2018-10-22", "2019-03-05"]
    assert app_data["first_appearance"]["post_id"] == early.id
    assert app_data["items"][0]["url"] == f"/posts/{early.id}"


def test_matches_on_wording_without_figures_and_validation(login, corpus):
    posts, comments = corpus
    c = login("reviewer")
    data = c.post("/api/v1/matches", json={"exact": "I read that CRCs missed their targets"}).get_json()
    assert any(p["comment_id"] == comments[posts["Losses"].id].id for p in data["places"])
    assert c.post("/api/v1/matches", json={}).status_code == 422
    assert c.post("/api/v1/matches", json={"exact": '"NEAR( * :'}).status_code == 200
