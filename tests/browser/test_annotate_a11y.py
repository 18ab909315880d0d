"""axe-core on the annotation pages: the post page with claims (and with the claim form open),
the claim page and the categories admin. Any violation fails, with its rule and the nodes."""
import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from workbench.annotations import services
from workbench.corpus.models import Comment, Post

AXE = "/static/vendor/axe-core/axe.min.js"


def axe_violations(page: Page, live_server: str) -> list[str]:
    page.add_script_tag(url=live_server + AXE)  # same origin, so the CSP allows it
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']}});
        return r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")
    return result


def claim_on(db, user, post, comment, words, statement, **extra):
    text = comment.text if comment else post.body
    start = text.index(words)
    claim = services.create_claim(user, {"post_id": post.id, "comment_id": comment.id if comment else None,
                                         "start": start, "end": start + len(words), "exact": words,
                                         "statement": statement, "category": "other", **extra})
    db.session.commit()
    return claim


@pytest.fixture
def claims(seeded, db, make_user):
    post = db.session.scalar(select(Post).where(Post.title == "Institute Offers TR Advice"))
    a, b = make_user("reviewer"), make_user("reviewer")
    words = post.body.split()
    one = claim_on(db, a, post, None, " ".join(words[3:12]), "Agreed claim", verdict={"rating": "true", "rationale": ""})
    claim_on(db, a, post, None, " ".join(words[8:16]), "Overlapping claim")
    disputed = claim_on(db, a, post, None, " ".join(words[30:40]), "Disputed claim",
                        sources=[{"url": "https://example.org/", "title": "A report", "stance": "refutes"}],
                        verdict={"rating": "false", "rationale": "no"})
    services.set_verdict(b, disputed, services.schemas.parse_verdict({"rating": "true", "rationale": "yes"}))
    comment = db.session.scalar(select(Comment).where(Comment.post_id == post.id).order_by(Comment.position))
    claim_on(db, a, post, comment, comment.text.split()[0], "On a comment")
    db.session.commit()
    return post, one, disputed


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_post_page_is_accessible(page: Page, live_server, browser_login, claims, width, height):
    post, _, _ = claims
    browser_login(page, "lead")
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server}/posts/{post.id}")
    page.wait_for_selector("body[data-annotate=ready]", state="attached")
    assert axe_violations(page, live_server) == []


def test_claim_form_and_claim_page_are_accessible(page: Page, live_server, browser_login, claims, make_user):
    post, _, disputed = claims
    browser_login(page, "lead")
    page.goto(f"{live_server}/posts/{post.id}")
    page.wait_for_selector("body[data-annotate=ready]", state="attached")
    page.evaluate("""() => {
        const node = document.querySelector('.text.body').lastChild, r = document.createRange();
        r.setStart(node, 0); r.setEnd(node, Math.min(20, node.data.length));
        const s = getSelection(); s.removeAllRanges(); s.addRange(r);
    }""")
    page.keyboard.press("a")
    page.click("#add-source")
    page.wait_for_selector("#f-category option >> nth=1", state="attached")
    assert axe_violations(page, live_server) == []
    page.goto(f"{live_server}/claims/{disputed.id}")
    assert axe_violations(page, live_server) == []


def test_categories_admin_is_accessible(page: Page, live_server, browser_login, seeded):
    browser_login(page, "admin")
    page.goto(f"{live_server}/admin/categories")
    assert axe_violations(page, live_server) == []
