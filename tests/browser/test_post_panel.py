"""The reading page's side panel in Chromium after the speed work (issue 9): the server prints the
panel from the page's own claims payload, and annotate.js adopts those items when they match the
JSON (it builds them itself only when they don't, and after a save; the two are the same DOM).
Hostile claim text and source fields show as text in the panel, the detail box and the hover
card; a javascript: URL (kept by an old import, say) is never a link; the panel is the same with
and without script; a status filter, a click and j/k still find the claim's words."""
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from workbench.annotations import services
from workbench.annotations.models import Claim, Source
from workbench.corpus.models import Comment, Post

POST = ("Monday 22 October 2018\n\nPanel test\n\nCRCs were forecasting losses of nearly £300 million, "
        "said the report.\n\n"
        "2 comments:\n\n  1. First: 19 of 21 companies failed to meet their reoffending targets.\n\n"
        "    ReplyDelete\n    Replies\n"
        "    1. Reply: caseloads rose by 40 per cent.\n\n      Delete\n")
HOSTILE = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> & "q"'
JS_URL = "javascript:window.__pwned=3"


@pytest.fixture
def claims(db, import_dumps, make_user):
    import_dumps({"p.txt": POST})
    post = db.session.scalar(select(Post))
    first, reply = db.session.scalars(select(Comment).order_by(Comment.position)).all()
    author = make_user("reviewer")

    def claim(unit, words, statement, **extra):
        text = unit.text if unit is not None else post.body
        start = text.index(words)
        return services.create_claim(author, {
            "post_id": post.id, "comment_id": unit.id if unit is not None else None, "start": start,
            "end": start + len(words), "exact": words, "statement": statement, "category": "other", **extra})
    hostile = claim(None, "£300 million", HOSTILE, verdict={"rating": "false", "rationale": HOSTILE},
                    sources=[{"url": "https://example.org/?q=<b>&x=\"y\"", "title": HOSTILE, "stance": "refutes"}])
    plain = claim(first, "19 of 21 companies", "Most companies missed targets", verdict={"rating": "true"})
    reply_claim = claim(reply, "40 per cent", "Caseloads rose 40%")
    # A source whose URL the API would refuse today, written straight to the table.
    db.session.add(Source(claim_id=plain.id, url=JS_URL, title="", created_by_id=author.id))
    db.session.commit()
    return post, {"hostile": hostile.id, "plain": plain.id, "reply": reply_claim.id}


def watch_dialogs(page: Page) -> list:
    fired = []
    page.on("dialog", lambda d: (fired.append(d.message), d.dismiss()))
    return fired


def test_hostile_claim_text_and_sources_render_as_text(page: Page, live_server, browser_login, claims):
    post, ids = claims
    fired = watch_dialogs(page)
    browser_login(page, "lead")
    page.goto(f"{live_server}/posts/{post.id}")
    page.wait_for_selector("body[data-annotate=ready]", state="attached")
    item = page.locator(f'#claim-list .claim-item[data-claim-id="{ids["hostile"]}"]')
    expect(item.locator(".statement")).to_have_text(HOSTILE)
    expect(item.locator(".verdicts")).to_have_text("false")
    item.locator("a.claim-link").click()
    detail = page.locator("#claim-detail")
    expect(detail.locator("h3")).to_have_text(HOSTILE)
    expect(detail.locator(".sources-list li")).to_have_text(f"refutes {HOSTILE}")
    page.locator(f'mark[data-claims~="{ids["hostile"]}"]').first.hover()
    expect(page.locator("#claim-card .card-statement")).to_have_text(HOSTILE)
    # The javascript: source shows as its text and is not a link.
    page.locator(f'#claim-list a.claim-link[data-claim-id="{ids["plain"]}"]').click()
    expect(detail.locator(".sources-list li")).to_have_text(f"context {JS_URL}")
    assert page.locator("a[href^='javascript' i], [href*='javascript:' i], [src*='javascript:' i]").count() == 0
    assert page.locator("#claims-panel img, #claim-card img, .reader img").count() == 0
    assert page.locator("script:not([src]):not([type='application/json'])").count() == 0
    assert page.evaluate("window.__pwned") is None and fired == []


def _panel(page: Page) -> list:
    return page.locator("#claim-list .claim-item").evaluate_all("""els => els.map(li => {
        const a = li.querySelector('a.claim-link');
        return [li.dataset.claimId, li.dataset.status, a.getAttribute('href'),
                Array.from(a.children).map(s => [s.className, s.textContent])];
    })""")


def test_the_panel_is_the_same_with_and_without_script(page: Page, live_server, browser_login, claims, make_user):
    post, ids = claims
    lead = browser_login(page, "lead")
    page.goto(f"{live_server}/posts/{post.id}")
    page.wait_for_selector("body[data-annotate=ready]", state="attached")
    scripted = _panel(page)
    assert [row[0] for row in scripted] == [str(ids["hostile"]), str(ids["plain"]), str(ids["reply"])]
    assert scripted[0][1:] == ["agreed", f"/claims/{ids['hostile']}", [
        ["status-badge s-agreed", "verdicts agree"], ["where", "post"], ["statement", HOSTILE], ["verdicts", "false"]]]
    assert scripted[2][3] == [["status-badge s-no_verdict", "no verdict yet"], ["where", "comment 1.1"],
                              ["statement", "Caseloads rose 40%"], ["verdicts", "no verdict yet"]]
    context = page.context.browser.new_context(java_script_enabled=False)
    try:
        plain = context.new_page()
        browser_login(plain, user=lead)
        plain.goto(f"{live_server}/posts/{post.id}")
        assert _panel(plain) == scripted
        expect(plain.locator("#claim-count")).to_have_text("3")
    finally:
        context.close()


def test_filter_click_and_keys_find_the_words(page: Page, live_server, browser_login, claims):
    post, ids = claims
    browser_login(page, "lead")
    page.goto(f"{live_server}/posts/{post.id}")
    page.wait_for_selector("body[data-annotate=ready]", state="attached")
    page.select_option("#status-filter", "no_verdict")
    expect(page.locator("#claim-list .claim-item:visible")).to_have_count(1)
    page.locator(f'#claim-list a.claim-link[data-claim-id="{ids["reply"]}"]').click()
    expect(page.locator(f'mark[data-claims~="{ids["reply"]}"]').first).to_be_focused()
    expect(page.locator(f'#claim-list .claim-item[data-claim-id="{ids["reply"]}"]')).to_have_class("claim-item selected")
    page.select_option("#status-filter", "")
    page.locator("h1").click()
    page.keyboard.press("j")
    expect(page.locator(f'mark[data-claims~="{ids["hostile"]}"]').first).to_be_focused()
    page.keyboard.press("j")
    expect(page.locator(f'mark[data-claims~="{ids["plain"]}"]').first).to_be_focused()
    expect(page.locator("#claim-detail h3")).to_have_text("Most companies missed targets")


def test_a_repaint_keeps_the_readers_selection(page: Page, live_server, browser_login, claims):
    """Painting reads the selection once per pass (not once per text unit) and puts it back in
    the unit it was in."""
    post, ids = claims
    browser_login(page, "reviewer")
    page.goto(f"{live_server}/posts/{post.id}")
    page.wait_for_selector("body[data-annotate=ready]", state="attached")
    first = page.locator(".text[data-unit=comment]").first
    comment_id = int(first.get_attribute("data-comment-id"))
    page.evaluate("""() => {
        const unit = document.querySelector('.text[data-unit=comment]');
        const words = 'failed to meet', text = unit.textContent, start = text.indexOf(words);
        const walker = document.createTreeWalker(unit, NodeFilter.SHOW_TEXT);
        let node, pos = 0, range = document.createRange();
        while ((node = walker.nextNode())) {
            if (start >= pos && start <= pos + node.data.length) range.setStart(node, start - pos);
            if (start + words.length <= pos + node.data.length) { range.setEnd(node, start + words.length - pos); break; }
            pos += node.data.length;
        }
        window.getSelection().removeAllRanges(); window.getSelection().addRange(range);
    }""")
    text = first.text_content()
    start = text.index("19 of 21")
    page.evaluate("([cid, s]) => window.Workbench.setDecorations('figures', [{comment_id: cid, start: s, end: s + 8, "
                  "className: 'figure', title: 'a figure'}])", [comment_id, start])
    expect(first.locator("span.deco")).to_have_text("19 of 21")
    assert page.evaluate("window.getSelection().toString()") == "failed to meet"
    expect(first).to_have_text(text)


# Before any script runs (the document is parsed, deferred scripts not yet run), mark every item the
# server printed, so a test can tell an adopted item (the same node) from a rebuilt one.
MARK_PRINTED = """document.addEventListener('readystatechange', () => {
    if (document.readyState !== 'interactive') return;
    window.__printed = document.querySelectorAll('#claim-list > li').length;
    document.querySelectorAll('#claim-list > li').forEach(li => { li.__printed = true; });
});"""


def _items(page: Page) -> list:
    """Each panel item as [its markup, whether it is the node the server printed]."""
    return page.locator("#claim-list > li").evaluate_all("els => els.map(li => [li.outerHTML, !!li.__printed])")


def _load(page: Page, url: str, change=None) -> list:
    """Open the post, the server's page changed by change(html) on the way if given; the items."""
    if change:
        page.route(url, lambda route: route.fulfill(response=(r := route.fetch()), body=change(r.text())))
    page.goto(url)
    page.wait_for_selector("body[data-annotate=ready]", state="attached")
    if change:
        page.unroute(url)
    return _items(page)


def test_the_printed_panel_is_adopted_and_equals_a_rebuilt_one(page: Page, live_server, browser_login, claims):
    """The script keeps the server's items when they match the payload (no second build on start)
    and builds them only when they don't; both ways give the same DOM."""
    post, ids = claims
    browser_login(page, "lead")
    page.add_init_script(MARK_PRINTED)
    url = f"{live_server}/posts/{post.id}"
    adopted = _load(page, url)
    assert page.evaluate("window.__printed") == 3
    assert [printed for _, printed in adopted] == [True] * 3  # the very nodes the server printed
    expect(page.locator("#claim-list")).to_have_attribute("data-built", "server")
    assert page.evaluate("performance.getEntriesByName('annotate:startup').length") == 1

    # Without the printed items, the script builds them: the same markup, item for item.
    rebuilt = _load(page, url, lambda html: re.sub(r'(<ol class="claim-list" id="claim-list">).*?(</ol>)', r"\1\2",
                                                    html, flags=re.S))
    assert page.evaluate("window.__printed") == 0
    expect(page.locator("#claim-list")).to_have_attribute("data-built", "script")
    assert [markup for markup, _ in rebuilt] == [markup for markup, _ in adopted]
    # A printed list that differs from the payload in one word of one item (the middle one: the
    # first and last are compared whole) is not adopted: it is rebuilt from the payload, and equals
    # the adopted one again. So is one where an item's status differs.
    middle = f'data-claim-id="{ids["plain"]}" data-status="agreed"'
    for change in [lambda html: html.replace('<span class="statement">Most companies missed targets</span>',
                                             '<span class="statement">Most companies met targets</span>', 1),
                   lambda html: html.replace(middle, middle.replace("agreed", "disputed"), 1)]:
        changed = _load(page, url, change)
        assert page.evaluate("window.__printed") == 3
        assert [printed for _, printed in changed] == [False] * 3
        assert [markup for markup, _ in changed] == [markup for markup, _ in adopted]


def test_the_adopted_panel_follows_a_filter_and_a_save(page: Page, live_server, browser_login, claims, db):
    post, ids = claims
    browser_login(page, "lead")
    page.add_init_script(MARK_PRINTED)
    adopted = _load(page, f"{live_server}/posts/{post.id}")
    assert [printed for _, printed in adopted] == [True] * 3
    visible = page.locator("#claim-list .claim-item:visible")

    # A filter hides and shows the adopted items (no rebuild needed).
    page.select_option("#status-filter", "no_verdict")
    expect(visible).to_have_count(1)
    expect(visible).to_have_attribute("data-claim-id", str(ids["reply"]))
    page.select_option("#status-filter", "disputed")
    expect(visible).to_have_count(0)
    expect(page.locator("#claim-empty")).to_be_visible()
    page.select_option("#status-filter", "")
    expect(visible).to_have_count(3)
    expect(page.locator("#claim-empty")).to_be_hidden()
    assert [printed for _, printed in _items(page)] == [True] * 3

    # A save, with the "agreed" filter on: the new claim takes its place in reading order (the first
    # comment, between the post's claim and the reply's), the count follows, the filter still holds.
    page.select_option("#status-filter", "agreed")
    page.get_by_role("button", name="Select words in comment 1", exact=True).press("Enter")
    page.keyboard.press("End")
    page.keyboard.press("Alt+Shift+ArrowLeft")
    assert page.evaluate("getSelection().toString()") == "reoffending targets"
    page.keyboard.press("Enter")
    page.fill("#f-statement", "Targets were missed")
    expect(page.locator("#f-category option", has_text="other")).to_have_count(1)
    page.select_option("#f-category", "other")
    page.click("#claim-form button[type=submit]")
    expect(page.locator("#announce")).to_contain_text("Claim saved: Targets were missed")
    db.session.commit()
    new_id = db.session.scalar(select(Claim.id).where(Claim.statement == "Targets were missed"))
    expect(page.locator("#claim-count")).to_have_text("4")
    expect(page.locator("#panel-toggle span")).to_have_text("4")
    items = page.locator("#claim-list > li")
    expect(items).to_have_count(4)
    assert items.evaluate_all("els => els.map(li => li.dataset.claimId)") == [
        str(ids["hostile"]), str(ids["plain"]), str(new_id), str(ids["reply"])]
    expect(visible).to_have_count(2)  # the two agreed ones; the new one has no verdict yet
    new = page.locator(f'#claim-list > li[data-claim-id="{new_id}"]')
    expect(new).to_be_hidden()
    expect(new).to_have_class("claim-item just-saved")
    expect(new.locator(".statement")).to_have_text("Targets were missed")
    expect(new.locator(".where")).to_have_text("comment 1")
    # The other items are as they were printed.
    after = {li: markup for li, markup in zip(items.evaluate_all("els => els.map(li => li.dataset.claimId)"),
                                              items.evaluate_all("els => els.map(li => li.outerHTML)"))}
    for (markup, _), claim_id in zip(adopted, [ids["hostile"], ids["plain"], ids["reply"]]):
        assert after[str(claim_id)].replace(' hidden=""', "") == markup
    page.select_option("#status-filter", "no_verdict")
    expect(visible).to_have_count(2)
    page.locator(f'#claim-list a.claim-link[data-claim-id="{new_id}"]').click()
    expect(page.locator(f'mark[data-claims~="{new_id}"]').first).to_have_text("reoffending targets")
    expect(page.locator(f'mark[data-claims~="{new_id}"]').first).to_be_focused()
