"""The "Select words" button of each text on the post page, in Chromium: what a screen-reader user
in browse mode finds and activates (browse mode keeps the single letters n, p and s for itself).
It is in Chromium's own accessibility tree with its name; Enter (or Space, or a click) on it starts
selecting in that text exactly as s does, with the text exposed as a named "application" so the
arrows, Enter and Esc reach the page; the claim saved from there has the right span. Also: the
buttons are quiet (shown on hover or focus), absent without script, axe-clean at both sizes, and on
a phone the "Add claim" button waits at the foot of the screen instead of covering the next line.

Set WORKBENCH_SHOTS=/some/dir to also save screenshots there."""

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from workbench.annotations.models import ClaimSpan
from workbench.corpus.models import Comment, Post
from tests.browser.shots import shot

BODY = ("Probation caseloads rose by 40 per cent in a year. The inspectors blamed the new contracts "
        "for most of it. Nobody in the ministry disagreed.")
FIRST = "First: 19 of 21 companies failed to meet their reoffending targets."
# An emoji (one code point, two UTF-16 units) before the words: the stored offsets are code points.
REPLY = "Reply \U0001F642: the figure was 17 of 21 in the first report, not 19."
SECOND = "Second: staff turnover doubled in 2016, the union said."
DUMP = (f"Monday 22 October 2018\n\nButton test\n\n{BODY}\n\n"
        f"3 comments:\n\n  1. {FIRST}\n\n    ReplyDelete\n    Replies\n"
        f"    1. {REPLY}\n\n      Delete\n"
        f"  2. {SECOND}\n\n    ReplyDelete\n")

AXE = "/static/vendor/axe-core/axe.min.js"



@pytest.fixture
def corpus(db, import_dumps):
    import_dumps({"b.txt": DUMP})
    post = db.session.scalar(select(Post))
    first, reply, second = db.session.scalars(select(Comment).order_by(Comment.position)).all()
    assert (post.body, reply.text, reply.path, second.path) == (BODY, REPLY, "1.1", "2")
    return post, first, reply, second


def open_post(page: Page, live_server: str, post) -> None:
    """Open the post and wait until suggestions.js has painted its underlines too: that repaints
    the texts, which would drop a caret placed before it."""
    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/posts/{post.id}/suggestions")):
        page.goto(f"{live_server}/posts/{post.id}")
    page.wait_for_selector("body[data-annotate=ready]", state="attached")
    page.wait_for_selector(".text[data-unit=body] span.deco.wb-suggestion", state="attached")


def selected(page: Page) -> str:
    return page.evaluate("window.getSelection().toString()")


def ax_tree(page: Page) -> list[dict]:
    """Chromium's own accessibility tree (what it gives screen readers), not Playwright's reading
    of the DOM: each node that is not ignored, as role, name, description and whether focused."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    out = []
    for n in nodes:
        if n.get("ignored"):
            continue
        props = {p["name"]: p["value"].get("value") for p in n.get("properties", [])}
        out.append({"role": n.get("role", {}).get("value"), "name": n.get("name", {}).get("value", ""),
                    "description": n.get("description", {}).get("value", ""), "focused": bool(props.get("focused"))})
    return out


def axe_violations(page: Page, live_server: str) -> list[str]:
    page.add_script_tag(url=live_server + AXE)
    return page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']}});
        return r.violations.map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")


def test_each_text_has_a_named_button_in_the_accessibility_tree(page: Page, live_server, browser_login, corpus):
    post, first, reply, second = corpus
    user = browser_login(page, "reviewer")
    page.set_viewport_size({"width": 1366, "height": 768})
    open_post(page, live_server, post)
    names = ["Select words in the post", "Select words in comment 1", "Select words in comment 1.1",
             "Select words in comment 2"]
    for name in names:
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(1)
    buttons = [(n["name"], n["focused"]) for n in ax_tree(page) if n["role"] == "button" and n["name"].startswith("Select words")]
    assert sorted(buttons) == sorted((name, False) for name in names)  # the tree's order is not the page's
    # Each sits in its own text's header, before the text.
    button = page.get_by_role("button", name="Select words in comment 1.1", exact=True)
    assert button.evaluate("b => b.closest('article').querySelector('.text').dataset.commentId") == str(reply.id)
    assert page.get_by_role("button", name="Select words in the post", exact=True).evaluate(
        "b => b.closest('article').id") == "post"
    # Quiet: invisible until the pointer is over its comment; not an extra Tab stop (the text after
    # it is one, where s does the same), so Shift+Tab from a text still reaches the comment's own controls.
    assert button.evaluate("b => getComputedStyle(b).opacity") == "0"
    page.locator("#c1-1 > article").hover()
    expect(button).to_have_css("opacity", "1")
    shot(page, "1-button-on-hover-1366")
    page.locator("#post").hover()
    expect(page.get_by_role("button", name="Select words in the post", exact=True)).to_have_css("opacity", "1")
    expect(button).to_have_css("opacity", "0")
    shot(page, "1-post-button-on-hover-1366")
    assert button.get_attribute("tabindex") == "-1"
    page.locator(f'.text[data-comment-id="{first.id}"]').focus()
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#c1 > article button[data-collapse]")).to_be_focused()
    # The text's description says where the button is.
    expect(page.locator("#unit-keys")).to_contain_text("Select words button")
    # Without script the page reads as before, with no button that would do nothing.
    context = page.context.browser.new_context(java_script_enabled=False)
    try:
        plain = context.new_page()
        browser_login(plain, user=user)
        plain.goto(f"{live_server}/posts/{post.id}")
        expect(plain.locator(".text[data-unit=body]")).to_have_text(BODY)
        assert plain.locator("button.select-words").count() == 0
    finally:
        context.close()


def test_enter_on_the_button_selects_and_the_arrows_work_up_to_a_saved_claim(page: Page, live_server,
                                                                            browser_login, corpus, db):
    post, first, reply, second = corpus
    browser_login(page, "reviewer")
    page.set_viewport_size({"width": 1366, "height": 768})
    open_post(page, live_server, post)
    text = page.locator(f'.text[data-comment-id="{reply.id}"]')
    expect(text).not_to_have_attribute("role", "application")
    page.get_by_role("button", name="Select words in comment 1.1", exact=True).press("Enter")

    # Selecting, in that text, from its first word, with the focus on it...
    expect(text).to_be_focused()
    expect(text).to_have_class("text kbd-selecting")
    assert selected(page) == "Reply"
    expect(page.locator("#announce")).to_have_text(
        "Selecting words in comment 1.1: arrows move by word, up and down by sentence, Shift with an arrow moves "
        "the end, Enter adds a claim, Escape stops. Selected: \u2018Reply\u2019 (1 word)")
    # ...which screen readers are told is an application (so they pass the keys on), by name.
    app = page.get_by_role("application", name="Selecting words in comment 1.1", exact=True)
    expect(app).to_be_focused()
    focused = [n for n in ax_tree(page) if n["focused"] and n["role"] != "RootWebArea"]  # the page has it too
    assert [(n["role"], n["name"]) for n in focused] == [("application", "Selecting words in comment 1.1")]
    assert focused[0]["description"].startswith("Left and right arrows move the selection by a word")
    assert "Enter adds a claim" in focused[0]["description"]
    expect(page.locator("#select-bar .when-selecting")).to_be_visible()

    # The arrows work: the emoji is one word; → moves, Shift+→ extends the end.
    page.keyboard.press("ArrowRight")
    assert selected(page) == "\U0001F642"
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    assert selected(page) == "17"
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    words = "17 of 21"
    assert selected(page) == words
    expect(page.locator("#announce")).to_have_text(f"Selected: \u2018{words}\u2019 (3 words)")

    # Enter opens the claim form on them; saving stores that span, in code points.
    page.keyboard.press("Enter")
    expect(page.locator("#form-quote")).to_have_text(words)
    expect(page.locator("#f-statement")).to_be_focused()
    # Leaving the text for the form ends the mode, and the text reads as text again.
    expect(text).not_to_have_attribute("role", "application")
    expect(text).to_have_attribute("aria-describedby", "unit-keys")
    assert text.get_attribute("aria-label") is None
    page.keyboard.press("Control+A")
    page.keyboard.type("The first report said 17 of 21")
    expect(page.locator("#f-category option", has_text="staffing and caseloads")).to_have_count(1)
    page.select_option("#f-category", "staffing and caseloads")
    page.locator("#claim-form button[type=submit]").press("Enter")
    expect(text.locator("mark.claim")).to_have_text(words)
    expect(page.locator("#announce")).to_contain_text("Claim saved")

    db.session.commit()  # a fresh read after the server's commit
    span = db.session.scalar(select(ClaimSpan))
    start = REPLY.index(words)
    assert REPLY.encode("utf-16-le").index(words.encode("utf-16-le")) // 2 == start + 1  # the emoji's 2 units
    assert (span.post_id, span.comment_id, span.start, span.end, span.exact) == (
        post.id, reply.id, start, start + len(words), words)


def test_the_button_starts_as_s_does_space_click_and_esc(page: Page, live_server, browser_login, corpus):
    post, first, reply, second = corpus
    browser_login(page, "reviewer")
    page.set_viewport_size({"width": 1366, "height": 768})
    open_post(page, live_server, post)
    body = page.locator(".text[data-unit=body]")

    # A caret in the post's second sentence: the button selects that sentence, as s would.
    page.evaluate("""() => {
        const walker = document.createTreeWalker(document.querySelector('.text[data-unit=body]'), NodeFilter.SHOW_TEXT);
        let node;
        while ((node = walker.nextNode()) && node.data.indexOf('blamed') < 0);
        getSelection().collapse(node, node.data.indexOf('blamed'));
    }""")
    page.get_by_role("button", name="Select words in the post", exact=True).press("Space")
    expect(body).to_be_focused()
    assert selected(page) == "The inspectors blamed the new contracts for most of it"
    page.keyboard.press("ArrowDown")
    assert selected(page) == "Nobody in the ministry disagreed"

    # Esc stops: the text is plain text again (no application, its own description), focus stays.
    page.keyboard.press("Escape")
    assert selected(page) == ""
    expect(page.locator("#announce")).to_have_text(
        "Stopped selecting; nothing selected. Press s, or the Select words button, to select again.")
    expect(body).to_be_focused()
    expect(body).not_to_have_class("text body kbd-selecting")
    assert body.get_attribute("role") is None and body.get_attribute("aria-label") is None
    expect(body).to_have_attribute("aria-describedby", "unit-keys")
    assert page.get_by_role("application").count() == 0
    assert not [n for n in ax_tree(page) if n["role"] == "application"]

    # A click works too (a mouse user, or a screen reader that clicks), and moves the mode from
    # the text where it was to the button's text.
    page.get_by_role("button", name="Select words in the post", exact=True).press("Enter")
    expect(body).to_have_class("text body kbd-selecting")
    second_text = page.locator(f'.text[data-comment-id="{second.id}"]')
    page.locator("#c2 > article").hover()
    page.get_by_role("button", name="Select words in comment 2", exact=True).click()
    expect(second_text).to_be_focused()
    expect(second_text).to_have_class("text kbd-selecting")
    expect(body).not_to_have_class("text body kbd-selecting")
    assert body.get_attribute("role") is None
    assert selected(page) == "Second"
    page.keyboard.press("End")
    assert selected(page) == "said"
    # s on a focused button acts on the button's text too.
    page.get_by_role("button", name="Select words in comment 1", exact=True).focus()
    page.keyboard.press("s")
    expect(page.locator(f'.text[data-comment-id="{first.id}"]')).to_be_focused()
    assert selected(page) == "First"


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_selecting_from_the_button_is_accessible_and_the_adder_keeps_clear(page: Page, live_server, browser_login,
                                                                           corpus, width, height):
    post, first, reply, second = corpus
    browser_login(page, "reviewer")
    page.set_viewport_size({"width": width, "height": height})
    open_post(page, live_server, post)
    page.locator("#c1 > article").hover()  # a button shown
    shot(page, f"0-button-shown-{width}")
    assert axe_violations(page, live_server) == []
    page.get_by_role("button", name="Select words in comment 1", exact=True).press("Enter")
    page.keyboard.press("Shift+End")
    assert selected(page) == "First: 19 of 21 companies failed to meet their reoffending targets"
    adder = page.locator("#adder")
    expect(adder).to_be_visible()
    shot(page, f"2-selecting-from-button-{width}")
    assert axe_violations(page, live_server) == []
    boxes = page.evaluate("""() => {
        const box = b => ({top: b.top, bottom: b.bottom, left: b.left, right: b.right}), r = e => box(e.getBoundingClientRect());
        const next = document.querySelector('#c1-1 > article');
        const line = document.createRange(); line.selectNodeContents(next.querySelector('.text'));
        return {adder: r(document.getElementById('adder')), next: r(next), firstLine: box(line.getClientRects()[0]),
                words: r(getSelection().getRangeAt(0)), toggle: r(document.getElementById('panel-toggle')),
                bar: r(document.getElementById('select-bar')), position: getComputedStyle(document.getElementById('adder')).position,
                vh: innerHeight};
    }""")
    a = boxes["adder"]

    def overlaps(b) -> bool:
        return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]
    assert not overlaps(boxes["words"])
    if width < 900:
        # Docked at the foot of the screen, left of the Claims button, below the keys bar: never over the
        # next comment or the words.
        assert boxes["position"] == "fixed"
        assert abs(a["bottom"] - (boxes["vh"] - 16)) <= 1
        assert a["right"] < boxes["toggle"]["left"]
        assert boxes["bar"]["bottom"] <= a["top"]
        assert not overlaps(boxes["next"]) and not overlaps(boxes["firstLine"])
    else:
        # Next to the words, as before.
        assert boxes["position"] == "absolute"
        assert 0 <= a["top"] - boxes["words"]["bottom"] <= 12
