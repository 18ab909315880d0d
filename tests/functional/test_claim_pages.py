"""The claim page and the categories admin through the test client: context, sources, verdicts,
history, edit with a stale version, retract and restore, escaping; and the post page's queries."""
import re

import pytest
from sqlalchemy import select

from workbench.annotations import services
from workbench.annotations.models import Category, Claim
from workbench.audit import AuditEvent
from workbench.corpus.models import Comment, Post

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def post(seeded, db):
    return db.session.scalar(select(Post).where(Post.title == "Institute Offers TR Advice"))


def make_claim(db, user, post, words=None, statement="A statement", comment=None, **extra):
    text = comment.text if comment else post.body
    words = words or text.split("\n")[0][:40].strip()
    start = text.index(words)
    claim = services.create_claim(user, {"post_id": post.id, "comment_id": comment.id if comment else None,
                                         "start": start, "end": start + len(words), "exact": words,
                                         "statement": statement, "category": "other", **extra})
    db.session.commit()
    return claim


def form_post(client, path, data):
    return client.post(path, data={**data, "csrf_token": client.csrf})


def test_claim_page_shows_context_sources_verdicts_history(login, make_user, post, db):
    author = make_user("reviewer")
    comment = db.session.scalar(select(Comment).where(Comment.post_id == post.id, Comment.path.contains("."))
                                .order_by(Comment.position))
    words = comment.text.strip().split()[0]
    claim = make_claim(db, author, post, words, "Claim on a reply", comment=comment,
                       sources=[{"url": "https://example.org/report", "title": "The report", "publisher": "NAO",
                                 "quote": "exactly this", "locator": "p. 4", "stance": "refutes"}],
                       verdict={"rating": "false", "rationale": "It says the opposite."})
    lead = login("lead")
    html = lead.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "Claim on a reply" in html
    assert f'href="/posts/{post.id}#{comment.anchor}"' in html and f"In comment {comment.path}" in html
    assert f'<mark class="claim agreed">{words}</mark>' in html
    assert "The report" in html and "NAO" in html and "p. 4" in html and "refutes" in html
    assert "It says the opposite." in html and author.name in html
    assert "create claim" in html and "create source" in html and "create verdict" in html


def test_blind_review_hides_verdicts_on_the_claim_page(login, make_user, post, db):
    author = make_user("reviewer")
    claim = make_claim(db, author, post, verdict={"rating": "true", "rationale": "SECRET-RATIONALE"})
    other = login("reviewer")
    html = other.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "SECRET-RATIONALE" not in html and "blind review hides them" in html
    assert "create verdict" in html  # the history says a verdict was given, not what it was


def test_hostile_statement_is_escaped_everywhere(login, make_user, post, db):
    author = make_user("reviewer")
    claim = make_claim(db, author, post, statement=HOSTILE,
                       sources=[{"url": "https://example.org/", "title": HOSTILE, "quote": HOSTILE}],
                       verdict={"rating": "mixed", "rationale": HOSTILE})
    c = login("lead")
    for path in (f"/claims/{claim.id}", f"/posts/{post.id}"):
        html = c.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;" in html or "\\u003cscript\\u003e" in html
    page = c.get(f"/posts/{post.id}").get_data(as_text=True)
    payload = re.search(r'<script type="application/json" id="claims-data">(.*?)</script>', page, re.S).group(1)
    assert "</script" not in payload and "<" not in payload


def test_edit_then_stale_edit_shows_conflict(login, post, db):
    c = login("reviewer")
    claim = make_claim(db, c.user, post)
    resp = form_post(c, f"/claims/{claim.id}/edit", {"version": 1, "statement": "  New   wording ",
                                                    "category": "other", "reason": "clearer"})
    assert resp.status_code == 303
    db.session.expire_all()
    claim = db.session.get(Claim, claim.id)
    assert (claim.statement, claim.category.name, claim.version) == ("New wording", "other", 2)
    html = c.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "Claim saved." in html and "clearer" in html and "New wording" in html

    stale = form_post(c, f"/claims/{claim.id}/edit", {"version": 1, "statement": "My stale wording",
                                                     "category": "reoffending"})
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "changed by someone else" in html and "Now (version 2)" in html
    assert "New wording" in html and "My stale wording" in html
    assert re.search(r'<input[^>]*name="version"[^>]*value="2"', html)  # saving again applies yours over v2
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).statement == "New wording"


def test_edit_refused_shapes_and_permissions(login, make_user, post, db):
    author = make_user("reviewer")
    claim = make_claim(db, author, post)
    other = login("reviewer")
    assert form_post(other, f"/claims/{claim.id}/edit", {"version": 1, "statement": "x", "category": "other"}).status_code == 403
    own = login("reviewer", user=author)
    resp = form_post(own, f"/claims/{claim.id}/edit", {"version": 1, "statement": "x", "category": "no such"})
    assert resp.status_code == 422 and "Unknown category" in resp.get_data(as_text=True)
    resp = form_post(own, f"/claims/{claim.id}/edit", {"version": 1, "statement": "", "category": "other"})
    assert resp.status_code == 422
    assert "Edit" not in other.get(f"/claims/{claim.id}").get_data(as_text=True).split("History")[0].split("Verdicts")[-1]


def test_retract_hides_from_post_and_restore(login, make_user, post, db):
    c = login("reviewer")
    claim = make_claim(db, c.user, post, statement="To be retracted")
    assert "To be retracted" in c.get(f"/posts/{post.id}").get_data(as_text=True)
    resp = form_post(c, f"/claims/{claim.id}/retract", {"reason": "a duplicate"})
    assert resp.status_code == 303
    assert "To be retracted" not in c.get(f"/posts/{post.id}").get_data(as_text=True)
    html = c.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "Retracted" in html and "a duplicate" in html and ">Restore</button>" in html
    other = login("reviewer")
    assert other.get(f"/claims/{claim.id}").status_code == 404
    lead = login("lead")
    assert ">Restore</button>" in lead.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert form_post(c, f"/claims/{claim.id}/retract", {}).status_code == 409
    assert form_post(lead, f"/claims/{claim.id}/restore", {"reason": "not a duplicate"}).status_code == 303
    assert "To be retracted" in c.get(f"/posts/{post.id}").get_data(as_text=True)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.claim_id == claim.id)
                                 .order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["retract", "restore"]


def test_verdict_form_keeps_history(login, post, db):
    c = login("reviewer")
    claim = make_claim(db, c.user, post)
    assert form_post(c, f"/claims/{claim.id}/verdict", {"rating": "mostly_true", "rationale": "first"}).status_code == 303
    assert form_post(c, f"/claims/{claim.id}/verdict", {"rating": "false", "rationale": "second"}).status_code == 303
    html = c.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "Change your verdict" in html and 'value="false" checked' in html
    assert "update verdict" in html and "mostly_true" in html  # the previous one in the history
    assert form_post(c, f"/claims/{claim.id}/verdict", {"rating": "bogus"}).status_code == 422


def test_claim_page_needs_login(anon, login, post, db, make_user):
    claim = make_claim(db, make_user("reviewer"), post)
    assert anon.get(f"/claims/{claim.id}").status_code == 302
    assert login("reviewer").get("/claims/999999").status_code == 404


def test_post_page_queries_constant_in_claims(login, make_user, post, db, query_counter):
    c = login("reviewer")
    author = make_user("reviewer")
    make_claim(db, author, post, statement="one", verdict={"rating": "true", "rationale": ""})

    def count():
        with query_counter() as box:
            assert c.get(f"/posts/{post.id}").status_code == 200
        return box["n"]
    few = count()
    words = post.body.split()
    for i in range(12):
        make_claim(db, author, post, words=" ".join(words[i:i + 3]), statement=f"claim {i}",
                   sources=[{"url": "https://example.org/", "title": "s"}],
                   verdict={"rating": "false", "rationale": ""})
    assert count() == few


def test_categories_admin(login, db):
    admin = login("admin")
    html = admin.get("/admin/categories").get_data(as_text=True)
    assert "reoffending" in html and 'href="/admin/categories"' in html  # in the top bar
    assert form_post(admin, "/admin/categories", {"new-name": "  Court   backlogs "}).status_code == 303
    cat = db.session.scalar(select(Category).where(Category.name == "Court backlogs"))
    assert cat is not None
    resp = form_post(admin, "/admin/categories", {"new-name": "Court backlogs"})
    assert resp.status_code == 409 and "already a category" in resp.get_data(as_text=True)
    assert form_post(admin, f"/admin/categories/{cat.id}", {"name": "Courts"}).status_code == 303
    assert form_post(admin, f"/admin/categories/{cat.id}", {"action": "archive"}).status_code == 303
    db.session.expire_all()
    cat = db.session.get(Category, cat.id)
    assert cat.name == "Courts" and cat.archived_at is not None
    names = [i["name"] for i in admin.get("/api/v1/categories").get_json()["items"]]
    assert "Courts" not in names
    html = admin.get("/admin/categories").get_data(as_text=True)
    assert ">Unarchive</button>" in html
    assert form_post(admin, f"/admin/categories/{cat.id}", {"action": "unarchive"}).status_code == 303
    assert "Courts" in [i["name"] for i in admin.get("/api/v1/categories").get_json()["items"]]
    assert form_post(admin, "/admin/categories", {"new-name": HOSTILE[:100]}).status_code == 303
    html = admin.get("/admin/categories").get_data(as_text=True)
    assert "<script>alert" not in html
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "category")) is not None


def test_categories_admin_is_for_admins(login):
    lead = login("lead")
    assert lead.get("/admin/categories").status_code == 403
    assert form_post(lead, "/admin/categories", {"new-name": "x"}).status_code == 403
    assert 'href="/admin/categories"' not in lead.get("/").get_data(as_text=True)


def test_add_a_source_from_the_claim_page(login, post, db):
    c = login("reviewer")
    claim = make_claim(db, c.user, post)
    html = c.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "Add a source" in html and f'action="/claims/{claim.id}/sources"' in html
    resp = form_post(c, f"/claims/{claim.id}/sources", {
        "url": "https://www.gov.uk/government/statistics/proven-reoffending", "title": HOSTILE,
        "publisher": "Ministry of Justice", "stance": "refutes", "quote": "19 of 21", "locator": "table 3",
        "accessed": "2019-03-06"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/claims/{claim.id}#sources-h")
    html = c.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "Source added." in html and "Ministry of Justice" in html and "table 3" in html
    assert HOSTILE not in html and "&lt;script&gt;" in html
    db.session.commit()
    source = db.session.get(Claim, claim.id).sources[-1]
    assert (source.stance.value, str(source.accessed), source.created_by_id) == ("refutes", "2019-03-06", c.user.id)
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.entity_type == "source",
                                                            AuditEvent.entity_id == source.id)) == "create"


@pytest.mark.parametrize("data, status, message", [
    ({"url": "javascript:alert(1)"}, 422, "url"),
    ({"url": "https://ok.example", "accessed": "6 March 2019"}, 422, "YYYY-MM-DD"),
    ({"url": ""}, 422, "Link"),
])
def test_a_bad_source_is_refused_with_the_reason_and_kept_in_the_form(login, post, db, data, status, message):
    c = login("reviewer")
    claim = make_claim(db, c.user, post)
    resp = form_post(c, f"/claims/{claim.id}/sources", {"stance": "context", **data})
    html = resp.get_data(as_text=True)
    assert resp.status_code == status and message in html
    assert "<details class=\"add-source\" open>" in html
    db.session.commit()
    assert db.session.get(Claim, claim.id).sources == []


def test_no_source_on_a_retracted_claim(login, post, db):
    c = login("reviewer")
    claim = make_claim(db, c.user, post)
    services.retract_claim(c.user, claim, {"reason": "duplicate"})
    db.session.commit()
    assert "Add a source" not in c.get(f"/claims/{claim.id}").get_data(as_text=True)
    resp = form_post(c, f"/claims/{claim.id}/sources", {"url": "https://ok.example", "stance": "context"})
    assert resp.status_code == 409 and "restore it first" in resp.get_data(as_text=True)
