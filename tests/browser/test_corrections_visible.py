"""A corrected comment in Chromium: the marker beside its meta line opens, by keyboard, onto the
earlier text (hostile markup shown as text, never run) and the word diff; the page stays
accessible; and a claim made on the corrected comment, with the earlier text open, stores the
offsets of the current text.

Set WORKBENCH_SHOTS=/some/dir to also save screenshots of the marker and the open disclosure."""
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from workbench.annotations.models import ClaimSpan
from workbench.corpus.models import Comment, Post
from workbench.corpus.services import import_paths
from tests.browser.shots import shot
from tests.browser.test_annotate import select_words
from tests.browser.test_annotate_a11y import axe_violations
from tests.browser.test_keyboard_select import tab_to

HOSTILE = ("\U0001F600 Great: 19 of 21 companies <script>window.__ran = 1</script><img src=x "
           "onerror=\"window.__ran = 2\"> failed to meet their targets.")
FIXED = "\U0001F600 Great news: 19 of 21 companies failed to meet their reoffending targets, said the NAO."
BODY = ("By March 2018, CRCs were forecasting losses of nearly £300 million on their contracts.\n\n"
        "The Ministry of Justice said the figures were provisional.")
DUMP = (f"Monday 22 October 2018\n\nCRC finances\n\n{BODY}\n\n"
        "2 comments:\n\n"
        f"  1. {HOSTILE}\n\n    ReplyDelete\n"
        "  2. Staff caseloads rose to 60 per officer.\n\n    ReplyDelete\n")


@pytest.fixture
def corrected(db, import_dumps, tmp_path):
    import_dumps({"post.txt": DUMP})
    path = tmp_path / "recrawl" / "post-2018-recrawl.txt"
    path.parent.mkdir()
    path.write_text(DUMP.replace(HOSTILE, FIXED), "utf-8")
    report = import_paths([path], accept_changes=True)
    db.session.commit()
    assert report.results[0].status == "corrected", report.results[0].message
    post = db.session.scalar(select(Post))
    first, second = db.session.scalars(select(Comment).order_by(Comment.position)).all()
    assert first.text == FIXED
    return post, first, second


def open_post(page: Page, live_server: str, post, browser_login, width=1366, height=768) -> None:
    """Logged in as a reviewer, the post's page at this window size, its scripts ready."""
    browser_login(page, "reviewer")
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server}/posts/{post.id}")
    page.wait_for_selector("body[data-annotate=ready]", state="attached")


def open_corrections(page: Page, live_server: str, post, browser_login, comment, width=1366, height=768):
    """The post's page with the comment's corrections open (a click on the marker)."""
    open_post(page, live_server, post, browser_login, width, height)
    box = page.locator(f"#{comment.anchor} details.corrections")
    box.locator("> summary").click()
    expect(box.locator(".earlier-text")).to_be_visible()
    return box


def test_the_earlier_text_opens_by_keyboard(page: Page, live_server, browser_login, corrected):
    post, first, second = corrected
    open_post(page, live_server, post, browser_login)
    box = page.locator(f"#{first.anchor} details.corrections")
    summary = box.locator("> summary")
    expect(page.locator("details.corrections")).to_have_count(1)            # comment 2 and the post: none
    expect(summary).to_contain_text(re.compile(r"corrected \d{1,2} [A-Z][a-z]{2} \d{4}"))
    expect(summary).to_contain_text("from post-2018-recrawl.txt")
    expect(summary).to_have_accessible_name(re.compile(r"^Comment 1: corrected .* 1 earlier version$"))
    expect(box.locator(".earlier-text")).to_be_hidden()
    page.locator(f'#{first.anchor} .text[data-unit="comment"]').scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "corrections-1-marker")

    # Tab from the top reaches the marker (after the post's text); Enter opens it.
    page.locator("h1").click()
    tab_to(page, "e.matches('details.corrections > summary')")
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")
    expect(box).to_have_attribute("open", "")
    earlier = box.locator(".earlier-text")
    expect(earlier).to_be_visible()
    expect(earlier).to_have_text(HOSTILE)                                   # the markup is text
    assert page.evaluate("window.__ran") is None                           # and nothing of it ran
    expect(box.locator(".earlier-when")).to_contain_text("replaced from post-2018-recrawl.txt")
    expect(box.locator(".diff del").first).to_have_text("removed: Great:")
    expect(box.locator(".diff ins").first).to_have_text("added: Great news:")
    expect(box.locator(".diff del").nth(1)).to_contain_text("<script>window.__ran = 1</script>")
    # The text the claims count is untouched, and still the next stop after the marker.
    expect(page.locator(f'.text[data-comment-id="{first.id}"]')).to_have_text(FIXED)
    page.keyboard.press("Tab")
    expect(page.locator(f'.text[data-comment-id="{first.id}"]')).to_be_focused()
    box.scroll_into_view_if_needed()
    shot(page, "corrections-2-open")
    assert axe_violations(page, live_server) == []

    # Enter on the marker closes it again.
    summary.focus()
    page.keyboard.press("Enter")
    expect(earlier).to_be_hidden()


def test_on_a_phone_the_disclosure_fits_the_column(page: Page, live_server, browser_login, corrected):
    post, first, _ = corrected
    box = open_corrections(page, live_server, post, browser_login, first, 390, 844)
    box.scroll_into_view_if_needed()
    shot(page, "corrections-3-phone")
    # Nothing wider than the screen: long words wrap.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page, live_server) == []


def test_a_claim_on_the_corrected_comment_stores_the_current_offsets(page: Page, live_server, browser_login,
                                                                     corrected, db):
    post, first, _ = corrected
    box = open_corrections(page, live_server, post, browser_login, first)
    # Words selected in the earlier text are not the stored text: no Add claim button.
    select_words(page, f"#{first.anchor} .earlier-text", "19 of 21 companies")
    expect(page.locator("#adder")).to_be_hidden()
    # In the current text (after an emoji, with the earlier text open above it) they are.
    words = "reoffending targets"
    select_words(page, f'.text[data-comment-id="{first.id}"]', words)
    adder = page.locator("#adder")
    expect(adder).to_be_visible()
    adder.click()
    expect(page.locator("#form-quote")).to_have_text(words)
    expect(page.locator("#f-category option", has_text="reoffending")).to_have_count(1)
    page.select_option("#f-category", "reoffending")
    page.locator("#claim-form button[type=submit]").click()
    expect(page.locator(f'.text[data-comment-id="{first.id}"] mark.claim')).to_have_text(words)
    expect(box).to_have_attribute("open", "")                               # the repaint left it alone

    db.session.commit()
    span = db.session.scalar(select(ClaimSpan))
    start = FIXED.index(words)                                              # code points: the emoji is one
    assert (span.comment_id, span.start, span.end, span.exact) == (first.id, start, start + len(words), words)
    assert FIXED[span.start:span.end] == words


LONG_BODY = "\n\n".join(
    f"Paragraph {n}: the Ministry of Justice published figures on the Community Rehabilitation Companies, "
    "whose contracts were ended early after losses and missed reoffending targets, said the inspectorate "
    "in its annual report on probation services in England and Wales." for n in range(1, 7))


def test_a_corrected_post_title_and_long_body(page: Page, live_server, browser_login, db, import_dumps, tmp_path):
    """The post's own marker, under its title: the title and the text, each earlier version with
    the words around the change and the rest of a long text left out, the whole on request."""
    dump = DUMP.replace(BODY, LONG_BODY)
    import_dumps({"post.txt": dump})
    path = tmp_path / "recrawl" / "post.txt"
    path.parent.mkdir()
    path.write_text(dump.replace("CRC finances", "CRC Finances").replace(
        "Paragraph 3: the Ministry", "Paragraph 3: the then Ministry"), "utf-8")
    assert import_paths([path], accept_changes=True).results[0].status == "corrected"
    db.session.commit()
    post = db.session.scalar(select(Post))
    open_post(page, live_server, post, browser_login)
    box = page.locator("article.post > details.corrections")
    expect(box.locator("> summary")).to_have_accessible_name(
        re.compile(r"^The post: title and text corrected .* 2 earlier versions$"))
    box.locator("> summary").focus()
    page.keyboard.press("Space")
    expect(box.locator(".earlier-when")).to_have_count(2)
    expect(box.locator(".earlier-text").first).to_have_text("CRC finances")
    diff = box.locator(".diff").nth(1)
    expect(diff.locator("ins")).to_have_text("added: then")
    expect(diff.locator(".diff-skip")).to_have_count(2)              # before and after the change
    whole = box.locator("details.earlier-whole")
    expect(whole.locator("> summary")).to_have_text(re.compile(r"The whole earlier text \(\d+ words\)"))
    expect(whole.locator(".earlier-text")).to_be_hidden()
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "corrections-4-post")
    whole.locator("> summary").click()
    expect(whole.locator(".earlier-text")).to_have_text(LONG_BODY)
    expect(page.locator(".text.body")).to_have_text(LONG_BODY.replace("Paragraph 3: the", "Paragraph 3: the then"))
    assert axe_violations(page, live_server) == []
