"""Who may call the search and suggestion routes, and hostile corpus text in search results."""
import pytest
from sqlalchemy import select

from workbench.corpus.models import Post

SCRIPT = '<script>alert("xss")</script>'
HOSTILE_DUMP = (f"Wednesday 6 March 2019\n\nHostile {SCRIPT} quokka\n\nThe quokka budget was £5m {SCRIPT} "
                "<img src=x onerror=alert(1)> said the MoJ.\n\n1 comment:\n\n  1. Quokka </mark><b>bold</b> "
                f"{SCRIPT}\n\n    ReplyDelete\n")


@pytest.fixture
def hostile(db, import_dumps):
    import_dumps({"h.txt": HOSTILE_DUMP})
    return db.session.scalar(select(Post))


def routes(post_id, claim_id):
    return [("GET", "/search?q=quokka", None), ("GET", "/api/v1/search?q=quokka", None),
            ("GET", f"/api/v1/posts/{post_id}/suggestions", None),
            ("POST", f"/api/v1/posts/{post_id}/suggestions/accept", {}),
            ("POST", f"/api/v1/posts/{post_id}/suggestions/dismiss", {}),
            ("GET", "/api/v1/settings/show_suggestions", None),
            ("POST", "/api/v1/matches", {"exact": "quokka budget £5m"}),
            ("GET", f"/api/v1/claims/{claim_id}/appearances", None)]


def test_every_route_needs_login_and_reviewers_may_use_them(anon, login, hostile):
    reviewer = login("reviewer")
    body = hostile.body
    start = body.index("quokka budget")
    claim = reviewer.post("/api/v1/claims", json={"post_id": hostile.id, "start": start, "end": start + 13,
                                                  "exact": "quokka budget", "statement": "s", "category": "other"})
    for method, url, data in routes(hostile.id, claim.get_json()["id"]):
        resp = anon._send(method, url, json=data)
        assert resp.status_code in (401, 302, 400), (method, url, resp.status_code)
        if resp.status_code == 302:
            assert "/login" in resp.location
        resp = reviewer._send(method, url, json=data)
        assert resp.status_code not in (401, 403) and resp.status_code < 500, (method, url, resp.status_code)


def test_only_admins_switch_suggestions(login):
    for role, status in (("reviewer", 403), ("lead", 403), ("admin", 200)):
        assert login(role).put("/api/v1/settings/show_suggestions", json={"value": True}).status_code == status


def test_hostile_text_is_escaped_in_results(login, hostile):
    c = login("reviewer")
    html = c.get("/search?q=quokka").get_data(as_text=True)
    assert SCRIPT not in html and "<img src=x" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;" in html and "<mark>" in html
    for item in c.get("/api/v1/search?q=quokka").get_json()["items"]:
        snippet = item["snippet"].replace("<mark>", "").replace("</mark>", "")
        assert "<" not in snippet, snippet  # only our own marks are markup
    assert c.get("/search?q=%3Cscript%3E").status_code == 200
