"""Annotating in a real browser: select words after an emoji, add a claim with a source and a
verdict, see it painted, reload, edit and retract it on the claim page; overlapping spans; keys."""
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from workbench.annotations import services
from workbench.annotations.models import Claim, ClaimSpan

EMOJI_POST = ("Monday 22 October 2018\n\nEmoji test\n\nCRCs were forecasting losses of nearly £300 million, "
              "said the report.\n\n"
              "1 comment:\n\n  1. Top 👍🏽 comment\n\n    ReplyDelete\n    Replies\n"
              "    1. 😀 Great: 19 of 21 companies failed to meet their reoffending targets.\n\n      Delete\n")


@pytest.fixture
def corpus(post_and_reply):
    return post_and_reply("e.txt", EMOJI_POST)


def select_words(page: Page, selector: str, words: str) -> None:
    """Select words inside a text unit the way a mouse would (the DOM counts UTF-16 units)."""
    page.wait_for_selector("body[data-annotate=ready]", state="attached")
    page.evaluate("""([selector, words]) => {
        const unit = document.querySelector(selector);
        const walker = document.createTreeWalker(unit, NodeFilter.SHOW_TEXT);
        let start = unit.textContent.indexOf(words), end = start + words.length, pos = 0, node, range = document.createRange();
        while ((node = walker.nextNode())) {
            const len = node.data.length;
            if (start >= pos && start <= pos + len) range.setStart(node, start - pos);
            if (end >= pos && end <= pos + len) { range.setEnd(node, end - pos); break; }
            pos += len;
        }
        const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
        unit.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
    }""", [selector, words])


def make_claim(user, post, comment, words, statement, db):
    text = comment.text if comment else post.body
    start = text.index(words)
    claim = services.create_claim(user, {
        "post_id": post.id, "comment_id": comment.id if comment else None, "start": start,
        "end": start + len(words), "exact": words, "statement": statement, "category": "other"})
    db.session.commit()
    return claim.id


def test_add_claim_after_emoji_then_edit_and_retract(page: Page, live_server, browser_login, corpus, db):
    post, reply = corpus
    browser_login(page, "reviewer")
    page.goto(f"{live_server}/posts/{post.id}")
    reply_text = f'.text[data-comment-id="{reply.id}"]'
    select_words(page, reply_text, "19 of 21 companies")
    adder = page.locator("#adder")
    expect(adder).to_be_visible()
    adder.click()
    form = page.locator("#claim-form")
    expect(form).to_be_visible()
    expect(page.locator("#f-statement")).to_have_value("19 of 21 companies")
    page.fill("#f-statement", "19 of 21 CRCs   missed their reoffending targets")
    expect(page.locator("#f-category option", has_text="reoffending")).to_have_count(1)
    page.select_option("#f-category", "reoffending")
    page.click("#add-source")
    row = page.locator("#source-rows .source-row").first
    row.get_by_label("URL (http or https)").fill("https://www.gov.uk/proven-reoffending")
    row.get_by_label("Title").fill("Proven reoffending statistics")
    row.get_by_label("Publisher").fill("Ministry of Justice")
    row.get_by_label("Stance").select_option("supports")
    row.get_by_label("Accessed").fill("2020-01-02")
    form.locator("label.step", has_text="mostly true").click()
    page.fill("#f-rationale", "Table 3 says so.")
    scroll_before = page.evaluate("window.scrollY")
    form.locator("button[type=submit]").click()

    mark = page.locator(f"{reply_text} mark.claim")
    expect(mark).to_have_text("19 of 21 companies")
    expect(form).to_be_hidden()
    expect(page.locator("#announce")).to_contain_text("Claim saved")
    assert page.evaluate("window.scrollY") == scroll_before
    expect(mark).to_have_class("claim agreed")  # one verdict, so the verdicts agree
    expect(page.locator("#claim-list .claim-item")).to_have_count(1)

    db.session.commit()
    span = db.session.scalar(select(ClaimSpan))
    assert (span.comment_id, span.start, span.end) == (reply.id, 9, 27)  # code points: the emoji is one
    claim = db.session.get(Claim, span.claim_id)
    assert claim.statement == "19 of 21 CRCs missed their reoffending targets"
    assert [s.url for s in claim.sources] == ["https://www.gov.uk/proven-reoffending"]

    page.reload()
    expect(page.locator(f"{reply_text} mark.claim")).to_have_text("19 of 21 companies")
    expect(page.locator(f"{reply_text} mark.claim")).to_have_attribute("data-claims", str(claim.id))

    page.locator("#claim-list a.claim-link").click()
    expect(page.locator("#claim-detail")).to_be_visible()
    page.locator("#claim-detail a.open-claim").click()
    page.wait_for_url(f"{live_server}/claims/{claim.id}")
    expect(page.locator(".span-context mark")).to_have_text("19 of 21 companies")
    page.fill("#e-statement", "19 of 21 CRCs missed reoffending targets in 2017")
    page.click("text=Save changes")
    expect(page.locator("h1.statement")).to_have_text("19 of 21 CRCs missed reoffending targets in 2017")

    page.fill("#r-reason", "duplicate of another claim")
    page.click("text=Retract claim")
    expect(page.locator(".retracted-note")).to_contain_text("duplicate of another claim")
    expect(page.get_by_role("button", name="Restore")).to_be_visible()
    page.goto(f"{live_server}/posts/{post.id}")
    expect(page.locator(f"{reply_text}")).to_contain_text("19 of 21 companies")
    expect(page.locator("mark.claim")).to_have_count(0)


def test_server_refusal_is_shown_in_the_form(page: Page, live_server, browser_login, corpus):
    post, _ = corpus
    browser_login(page, "reviewer")
    page.goto(f"{live_server}/posts/{post.id}")
    select_words(page, ".text.body", "£300 million")
    page.keyboard.press("a")
    expect(page.locator("#claim-form")).to_be_visible()
    page.select_option("#f-category", "CRC finances")
    page.click("#add-source")
    page.locator("#source-rows [data-name=url]").fill("ftp://example.org/x")
    page.locator("#claim-form button[type=submit]").click()
    expect(page.locator("#form-error")).to_contain_text("http:// or https://")
    expect(page.locator("mark.claim")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(page.locator("#claim-form")).to_be_hidden()


def test_overlapping_spans_and_keys(page: Page, live_server, browser_login, corpus, make_user, db):
    post, reply = corpus
    author = make_user("reviewer")
    outer = make_claim(author, post, None, "forecasting losses of nearly £300 million", "Losses forecast", db)
    inner = make_claim(author, post, None, "£300 million", "The sum was £300m", db)
    cross = make_claim(author, post, None, "CRCs were forecasting", "CRCs forecast", db)
    later = make_claim(author, post, reply, "reoffending targets", "Targets missed", db)
    browser_login(page, "lead")
    page.goto(f"{live_server}/posts/{post.id}")
    body = page.locator(".text.body")
    expect(body).to_contain_text("CRCs were forecasting losses of nearly £300 million")  # text unchanged
    expect(body.locator(f'mark[data-claims="{cross}"]')).to_have_text("CRCs were ")
    expect(body.locator(f'mark[data-claims="{outer} {cross}"], mark[data-claims="{cross} {outer}"]')).to_have_text("forecasting")
    both = body.locator("mark.overlap", has_text="£300 million")
    expect(both).to_have_count(1)
    assert sorted(both.get_attribute("data-claims").split()) == sorted([str(outer), str(inner)])
    expect(body.locator(f'mark[data-claims="{outer}"]')).to_have_text(" losses of nearly ")
    # the panel lists them in reading order
    ids = page.locator("#claim-list .claim-item").evaluate_all("els => els.map(e => +e.dataset.claimId)")
    assert ids == [cross, outer, inner, later]

    page.locator("h1").click()
    page.keyboard.press("j")
    expect(page.locator(f'mark[data-claims~="{cross}"]').first).to_be_focused()
    expect(page.locator("#claim-card")).to_contain_text("CRCs forecast")
    page.keyboard.press("j")
    expect(page.locator(f'mark[data-claims~="{outer}"]').first).to_be_focused()
    page.keyboard.press("k")
    expect(page.locator(f'mark[data-claims~="{cross}"]').first).to_be_focused()
    expect(page.locator("#claim-detail")).to_contain_text("CRCs forecast")
    page.keyboard.press("Escape")
    expect(page.locator("#claim-detail")).to_be_hidden()
    page.keyboard.press("?")
    expect(page.locator("#keys-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#keys-help")).to_be_hidden()

    page.select_option("#status-filter", "disputed")
    expect(page.locator("#claim-list .claim-item:visible")).to_have_count(0)
    page.select_option("#status-filter", "")
    expect(page.locator("#claim-list .claim-item:visible")).to_have_count(4)


def test_decorations_api(page: Page, live_server, browser_login, corpus):
    post, reply = corpus
    browser_login(page, "reviewer")
    page.goto(f"{live_server}/posts/{post.id}")
    page.evaluate("""(cid) => {
        document.addEventListener('workbench:decoration-click', e => { window.__clicked = e.detail; });
        window.Workbench.setDecorations('figures', [
          {comment_id: cid, start: 9, end: 11, className: 'figure', title: 'a figure', data: {n: 19}}]);
    }""", reply.id)
    deco = page.locator(f'.text[data-comment-id="{reply.id}"] span.deco.figure')
    expect(deco).to_have_text("19")
    deco.click()
    assert page.evaluate("window.__clicked.item.data.n") == 19
    assert page.evaluate("window.__clicked.name") == "figures"
    page.evaluate("window.Workbench.setDecorations('figures', [])")
    expect(deco).to_have_count(0)
