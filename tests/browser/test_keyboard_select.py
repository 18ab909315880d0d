"""Selecting a claim's words with the keyboard alone, in Chromium: Tab or n/p to a text, s to start,
arrows by word and sentence, Home/End, Enter to the claim form, Esc to stop; offsets in code
points after emoji; typing in form fields is left alone; the help lists the keys.

Set WORKBENCH_SHOTS=/some/dir to also save screenshots of the mode in action there."""

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from workbench.annotations.models import Claim, ClaimSpan
from workbench.corpus.models import Comment, Post
from tests.browser.shots import shot

BODY = ("CRCs were forecasting losses of nearly £300 million, said the report. Caseloads rose by 40 per cent "
        "in a year! Nobody expected that \u2014 not even the inspectors.")
FIRST = "First: 19 of 21 companies failed to meet their reoffending targets."
# A smiley (1 code point, 2 UTF-16 units), a thumb with a skin tone (2 and 4) and a woman
# scientist joined with a ZWJ (3 and 5): the code-point and UTF-16 offsets after them differ by 5.
REPLY = "\U0001F600 \U0001F44D\U0001F3FD \U0001F469\u200d\U0001F52C Great: 19 of 21 companies failed to meet their targets."
DUMP = (f"Monday 22 October 2018\n\nKeyboard test\n\n{BODY}\n\n"
        f"2 comments:\n\n  1. {FIRST}\n\n    ReplyDelete\n    Replies\n"
        f"    1. {REPLY}\n\n      Delete\n")

AXE = "/static/vendor/axe-core/axe.min.js"

# Every mouse or pointer event, and every click that did not come from a key (a key's click has
# detail 0), on the page: the keyboard-only flow must leave this empty.
RECORD_MOUSE = """() => {
    window.__mouse = [];
    for (const type of ['mousedown', 'mouseup', 'pointerdown', 'pointerup', 'click', 'dblclick', 'contextmenu']) {
        window.addEventListener(type, e => { if (type !== 'click' || e.detail > 0) window.__mouse.push(type); }, true);
    }
}"""



@pytest.fixture
def corpus(db, import_dumps):
    import_dumps({"k.txt": DUMP})
    post = db.session.scalar(select(Post))
    first, reply = db.session.scalars(select(Comment).order_by(Comment.position)).all()
    assert post.body == BODY and reply.text == REPLY
    return post, first, reply


def keyboard_login(page: Page, live_server: str, user) -> None:
    page.goto(live_server + "/login")
    page.locator("#username").focus()
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/queue")


def open_post(page: Page, live_server: str, post) -> None:
    page.goto(f"{live_server}/posts/{post.id}")
    page.wait_for_selector("body[data-annotate=ready]", state="attached")


def selected(page: Page) -> str:
    return page.evaluate("window.getSelection().toString()")


def active(page: Page) -> str:
    """What has focus: 'body', a comment id, or the element's tag and id."""
    return page.evaluate("""() => {
        const e = document.activeElement;
        if (e.matches('.text[data-unit]')) return e.dataset.unit === 'body' ? 'body' : e.dataset.commentId;
        return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '');
    }""")


def press(page: Page, *keys: str) -> None:
    for key in keys:
        page.keyboard.press(key)


def tab_to(page: Page, predicate: str, limit: int = 40) -> int:
    """Press Tab until the focused element matches the JS predicate (given `e`); the presses."""
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return !!({predicate}); }}"):
            return n
    raise AssertionError(f"Tab never reached {predicate}")


def save_claim_with_keys(page: Page, statement: str, category_key: str, category: str) -> None:
    """In the open claim form (statement focused): retype the statement, choose a category by its
    first letter, Tab to Save and press Enter."""
    expect(page.locator("#f-statement")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type(statement)
    page.keyboard.press("Tab")
    expect(page.locator("#f-category")).to_be_focused()
    expect(page.locator("#f-category option", has_text=category)).to_have_count(1)  # the categories loaded
    page.keyboard.press(category_key)
    expect(page.locator("#f-category")).to_have_value(category)
    tab_to(page, "e.matches('#claim-form button[type=submit]')")
    page.keyboard.press("Enter")


def span_of(db, claim_id=None) -> ClaimSpan:
    db.session.commit()  # a fresh read transaction, after the server's commit
    q = select(ClaimSpan)
    if claim_id is not None:
        q = q.where(ClaimSpan.claim_id == claim_id)
    return db.session.scalar(q)


def test_keyboard_only_from_post_to_saved_claim(page: Page, live_server, make_user, corpus, db):
    post, first, reply = corpus
    user = make_user("reviewer")
    db.session.commit()
    page.set_viewport_size({"width": 1366, "height": 768})
    page.add_init_script(f"({RECORD_MOUSE})()")
    keyboard_login(page, live_server, user)
    open_post(page, live_server, post)

    # Tab reaches the post's text; a bar says what the keys do there.
    tab_to(page, "e.matches('.text[data-unit=body]')")
    bar = page.locator("#select-bar")
    expect(bar).to_be_visible()
    expect(bar.locator(".when-idle")).to_contain_text("select words")
    expect(page.locator(".text.body")).to_have_attribute("aria-describedby", "unit-keys")
    shot(page, "1-post-text-focused")
    # n / p go through the texts, and Tab reaches a comment's text too.
    press(page, "n")
    assert active(page) == str(first.id)
    expect(page.locator("#announce")).to_contain_text("Comment 1, text 2 of 3")
    press(page, "n")
    assert active(page) == str(reply.id)
    press(page, "n")  # the last one: stays
    assert active(page) == str(reply.id)
    press(page, "p", "p")
    assert active(page) == "body"

    # s starts at the first word; → moves the selection, Shift+→ extends its end.
    press(page, "s")
    assert selected(page) == "CRCs"
    expect(page.locator(".text.body")).to_have_class("text body kbd-selecting")
    expect(bar.locator(".when-selecting")).to_be_visible()
    press(page, "ArrowRight", "ArrowRight", "ArrowRight")
    assert selected(page) == "losses"
    press(page, "Shift+ArrowRight", "Shift+ArrowRight", "Shift+ArrowRight", "Shift+ArrowRight")
    words = "losses of nearly £300 million"
    assert selected(page) == words  # the comma after "million" is not part of the word
    expect(page.locator("#announce")).to_have_text(f"Selected: \u2018{words}\u2019 (5 words)")
    expect(page.locator("#adder")).to_be_visible()
    shot(page, "2-selecting-words")

    # Enter opens the claim form on those words; save it without touching the mouse.
    press(page, "Enter")
    expect(page.locator("#claim-form")).to_be_visible()
    expect(page.locator("#form-quote")).to_have_text(words)
    expect(page.locator("#f-statement")).to_have_value(words)
    shot(page, "3-claim-form-from-keyboard")
    save_claim_with_keys(page, "CRCs forecast losses of nearly £300m", "c", "CRC finances")
    mark = page.locator(".text.body mark.claim")
    expect(mark).to_have_text(words)
    expect(mark).to_be_focused()
    expect(page.locator("#announce")).to_contain_text("Claim saved")

    span = span_of(db)
    start = BODY.index(words)
    assert (span.post_id, span.comment_id, span.start, span.end, span.exact) == (
        post.id, None, start, start + len(words), words)
    claim = db.session.get(Claim, span.claim_id)
    assert claim.statement == "CRCs forecast losses of nearly £300m"
    assert page.evaluate("window.__mouse") == []


def test_word_and_sentence_steps_home_end_and_esc(page: Page, live_server, browser_login, corpus):
    post, first, _ = corpus
    browser_login(page, "reviewer")
    open_post(page, live_server, post)
    body = page.locator(".text.body")
    press(page, "n")  # nothing has focus: n goes to the first text on screen
    expect(body).to_be_focused()
    press(page, "s")
    assert selected(page) == "CRCs"
    s1 = "CRCs were forecasting losses of nearly £300 million, said the report"
    s2 = "Caseloads rose by 40 per cent in a year"
    s3 = "Nobody expected that \u2014 not even the inspectors"
    press(page, "ArrowDown")
    assert selected(page) == s2  # the next sentence, without its "!"
    press(page, "ArrowDown")
    assert selected(page) == s3  # the dash is between words, not a word
    press(page, "ArrowDown")
    assert selected(page) == s3
    expect(page.locator("#announce")).to_contain_text("End of the text.")
    press(page, "ArrowUp")
    assert selected(page) == s2
    press(page, "ArrowUp")
    assert selected(page) == s1
    press(page, "Shift+ArrowDown")
    assert selected(page) == s1 + ". " + s2
    expect(page.locator("#announce")).to_contain_text("(20 words)")
    press(page, "Shift+ArrowUp")
    assert selected(page) == s1
    press(page, "Shift+ArrowLeft")
    assert selected(page) == "CRCs were forecasting losses of nearly £300 million, said the"
    press(page, "Alt+Shift+ArrowRight")
    assert selected(page) == "were forecasting losses of nearly £300 million, said the"
    press(page, "ArrowLeft")
    assert selected(page) == "CRCs were forecasting losses of nearly £300 million, said"
    press(page, "ArrowLeft")  # already at the first word: stays
    assert selected(page) == "CRCs were forecasting losses of nearly £300 million, said"
    expect(page.locator("#announce")).to_contain_text("Start of the text.")
    press(page, "Shift+ArrowUp")  # shrinking by a sentence within one sentence leaves one word
    assert selected(page) == "CRCs"
    press(page, "Shift+ArrowLeft")
    assert selected(page) == "CRCs"
    press(page, "End")
    assert selected(page) == "inspectors"
    press(page, "Home")
    assert selected(page) == "CRCs"
    press(page, "Shift+End")
    assert selected(page) == f"{s1}. {s2}! {s3}"
    press(page, "ArrowUp")  # a selection wider than its first sentence: back to that sentence
    assert selected(page) == s1

    # Esc lets the words go; the text keeps the focus, and s resumes at the sentence there.
    press(page, "Escape")
    assert selected(page) == ""
    expect(body).to_be_focused()
    expect(body).not_to_have_class("text body kbd-selecting")
    expect(page.locator("#adder")).to_be_hidden()
    expect(page.locator("#select-bar .when-idle")).to_be_visible()
    expect(page.locator("#announce")).to_contain_text("Stopped selecting")
    press(page, "a")  # nothing selected: nothing to add
    expect(page.locator("#claim-form")).to_be_hidden()
    expect(page.locator("#announce")).to_contain_text("press s to select")
    press(page, "ArrowDown", "ArrowDown")  # not selecting: the arrows are the page's again
    press(page, "s")
    assert selected(page) == s1
    # Tab away: the mode ends, the selection stays for the mouse-style path.
    press(page, "Tab")
    expect(body).not_to_have_class("text body kbd-selecting")
    assert selected(page) == s1


def test_words_selected_with_the_mouse_are_kept_and_snapped(page: Page, live_server, browser_login, corpus):
    post, _, _ = corpus
    browser_login(page, "reviewer")
    open_post(page, live_server, post)
    # As a mouse leaves it: from inside one word to inside another (the DOM counts UTF-16 units).
    page.evaluate("""() => {
        const unit = document.querySelector('.text.body'), text = unit.textContent, r = document.createRange();
        const walker = document.createTreeWalker(unit, NodeFilter.SHOW_TEXT);
        const start = text.indexOf('ecasting'), end = text.indexOf('arly') + 2;
        let node, pos = 0;
        while ((node = walker.nextNode())) {
            if (start >= pos && start < pos + node.data.length) r.setStart(node, start - pos);
            if (end > pos && end <= pos + node.data.length) r.setEnd(node, end - pos);
            pos += node.data.length;
        }
        getSelection().removeAllRanges(); getSelection().addRange(r);
    }""")
    assert selected(page) == "ecasting losses of near"
    page.locator(".text.body").focus()
    press(page, "s")
    assert selected(page) == "forecasting losses of nearly"
    press(page, "Shift+ArrowRight")
    assert selected(page) == "forecasting losses of nearly £300"


def test_after_emoji_the_offsets_are_code_points(page: Page, live_server, browser_login, corpus, db):
    post, first, reply = corpus
    browser_login(page, "reviewer")
    open_post(page, live_server, post)
    press(page, "n", "n", "n")
    assert active(page) == str(reply.id)
    press(page, "s")
    assert selected(page) == "\U0001F600"  # an emoji is a word
    press(page, "ArrowRight")
    assert selected(page) == "\U0001F44D\U0001F3FD"
    press(page, "ArrowRight")
    assert selected(page) == "\U0001F469\u200d\U0001F52C"
    press(page, "ArrowRight", "ArrowRight")
    assert selected(page) == "19"
    press(page, "Shift+ArrowRight", "Shift+ArrowRight", "Shift+ArrowRight")
    words = "19 of 21 companies"
    assert selected(page) == words
    shot(page, "4-selecting-after-emoji")
    press(page, "a")
    expect(page.locator("#form-quote")).to_have_text(words)
    save_claim_with_keys(page, "19 of 21 CRCs missed their targets", "r", "reoffending")
    expect(page.locator(f'.text[data-comment-id="{reply.id}"] mark.claim')).to_have_text(words)

    span = span_of(db)
    start = REPLY.index(words)  # Python counts code points
    utf16 = len(REPLY[:start].encode("utf-16-le")) // 2
    assert (start, utf16) == (16, 21)  # so an offset in UTF-16 units would be refused or wrong
    assert (span.comment_id, span.start, span.end, span.exact) == (reply.id, start, start + len(words), words)
    assert span.prefix == REPLY[:start]


def test_typing_in_form_fields_is_not_taken(page: Page, live_server, browser_login, corpus):
    post, first, _ = corpus
    browser_login(page, "reviewer")
    open_post(page, live_server, post)
    press(page, "n", "n", "s", "Shift+ArrowRight", "Enter")
    statement = page.locator("#f-statement")
    expect(statement).to_be_focused()
    expect(statement).to_have_value("First: 19")
    page.keyboard.press("Control+A")
    page.keyboard.type("n p s j k a ? x")
    press(page, "Home")
    page.keyboard.type(">")
    press(page, "End", "Shift+ArrowLeft", "Shift+ArrowLeft")
    page.keyboard.type("!")
    expect(statement).to_have_value(">n p s j k a ?!")
    expect(statement).to_be_focused()
    expect(page.locator("#keys-help")).to_be_hidden()
    expect(page.locator(".kbd-selecting")).to_have_count(0)
    press(page, "Tab")
    expect(page.locator("#f-category")).to_be_focused()
    expect(page.locator("#f-category option", has_text="staffing")).to_have_count(1)
    press(page, "s")  # a select's own type-ahead, not "start selecting"
    expect(page.locator("#f-category")).to_have_value("staffing and caseloads")
    expect(page.locator("#f-category")).to_be_focused()
    expect(page.locator(".kbd-selecting")).to_have_count(0)
    # Esc closes the form and gives the focus back to the comment, its words still selected.
    press(page, "Escape")
    expect(page.locator("#claim-form")).to_be_hidden()
    assert active(page) == str(first.id)
    assert selected(page) == "First: 19"
    press(page, "s", "Shift+ArrowRight")
    assert selected(page) == "First: 19 of"
    # The panel's status filter keeps its letters too.
    page.locator("#status-filter").focus()
    press(page, "d")
    expect(page.locator("#status-filter")).to_have_value("disputed")
    expect(page.locator("#status-filter")).to_be_focused()


def test_help_lists_the_keys_and_gives_the_focus_back(page: Page, live_server, browser_login, corpus):
    post, _, _ = corpus
    browser_login(page, "reviewer")
    page.set_viewport_size({"width": 1366, "height": 768})
    open_post(page, live_server, post)
    expect(page.locator(".keys-hint")).to_contain_text("select words")
    press(page, "n", "s", "ArrowRight")
    assert selected(page) == "were"
    press(page, "?")
    help_ = page.locator("#keys-help")
    expect(help_).to_be_visible()
    text = help_.inner_text()
    for key, says in [("j", "next / previous claim"), ("n", "next / previous text"), ("s", "select words"),
                      ("a", "add a claim"), ("Shift", "extend its end by a word"), ("Alt", "move its start"),
                      ("↑", "sentence"), ("Home", "first / last word"), ("Enter", "add a claim on the selection"),
                      ("Esc", "stop selecting")]:
        assert key in text and says in text, (key, says)
    shot(page, "5-keys-help")
    press(page, "Escape")
    expect(help_).to_be_hidden()
    expect(page.locator(".text.body")).to_be_focused()  # back where it was, still selecting
    press(page, "ArrowRight")
    assert selected(page) == "forecasting"


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_selecting_is_accessible(page: Page, live_server, browser_login, corpus, width, height):
    post, first, _ = corpus
    browser_login(page, "reviewer")
    page.set_viewport_size({"width": width, "height": height})
    open_post(page, live_server, post)
    press(page, "n", "n", "s", "Shift+End")
    assert selected(page) == "First: 19 of 21 companies failed to meet their reoffending targets"
    expect(page.locator("#select-bar")).to_be_visible()
    # The selection's colours: white on the accent blue, over 4.5:1.
    colours = page.evaluate("""() => {
        const s = getComputedStyle(document.querySelector('.kbd-selecting'), '::selection');
        return [s.color, s.backgroundColor];
    }""")
    assert colours == ["rgb(255, 255, 255)", "rgb(29, 79, 145)"]
    shot(page, f"6-selecting-{width}")
    page.add_script_tag(url=live_server + AXE)
    violations = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']}});
        return r.violations.map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")
    assert violations == []


def test_collapsed_replies_are_skipped(page: Page, live_server, browser_login, corpus):
    post, first, reply = corpus
    browser_login(page, "reviewer")
    open_post(page, live_server, post)
    press(page, "n", "n")
    assert active(page) == str(first.id)
    press(page, "Shift+Tab")  # back to the comment's "Hide 1 reply" button
    expect(page.locator("#c1 > article button[data-collapse]")).to_be_focused()
    press(page, "Enter")
    expect(page.locator(f'.text[data-comment-id="{reply.id}"]')).to_be_hidden()
    press(page, "n")  # from the button, inside no text: the first text on screen
    assert active(page) == "body"
    press(page, "n", "n")
    assert active(page) == str(first.id)
    expect(page.locator("#announce")).to_contain_text("That was the last comment.")


def test_the_moving_end_stays_on_screen(page: Page, live_server, browser_login, seeded, db):
    post = db.session.scalar(select(Post).where(Post.title == "Institute Offers TR Advice"))
    browser_login(page, "reviewer")
    page.set_viewport_size({"width": 1366, "height": 500})
    open_post(page, live_server, post)
    press(page, "n", "s")
    assert page.evaluate("window.scrollY") == 0

    def on_screen() -> bool:
        return page.evaluate("""() => {
            const r = getSelection().getRangeAt(0).getClientRects(), last = r[r.length - 1];
            const top = document.querySelector('.topbar').getBoundingClientRect().bottom;
            const bar = document.querySelector('#select-bar').getBoundingClientRect().top;
            return last.top >= top && last.bottom <= Math.min(bar, innerHeight);
        }""")
    press(page, "Shift+End")  # the end moves to the post's last word, far below
    assert page.evaluate("window.scrollY") > 300
    assert on_screen()
    press(page, "Home")
    assert on_screen()
    assert page.evaluate("window.scrollY") < 300
