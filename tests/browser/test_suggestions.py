"""Suggestions and matches in a real browser: faint underlines, accept one into a claim, dismiss
another (still gone after a reload), and attach a new selection to a matching existing claim."""
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from workbench.annotations import services
from workbench.annotations.models import ClaimSpan
from workbench.corpus.models import Post
from workbench.search.models import SuggestionDismissal

from .test_annotate import select_words

DUMPS = {
    "a.txt": ("Monday 22 October 2018\n\nLosses\n\nIt was a grim day. CRCs were forecasting losses of £300m by "
              "2018. Some 40 per cent of staff had left.\n\n1 comment:\n\n  1. Lovely weather.\n\n    ReplyDelete\n"),
    "b.txt": ("Tuesday 5 March 2019\n\nMore losses\n\nThe MoJ said losses reached £300 million last year.\n\n"
              "1 comment:\n\n  1. Nonsense.\n\n    ReplyDelete\n"),
}


@pytest.fixture
def corpus(db, import_dumps):
    import_dumps(DUMPS)
    return {p.title: p for p in db.session.scalars(select(Post))}


def test_accept_and_dismiss_suggestions(page: Page, live_server, browser_login, corpus, db):
    post = corpus["Losses"]
    browser_login(page, "reviewer")
    page.goto(f"{live_server}/posts/{post.id}")
    body = page.locator(".text[data-unit=body]")
    money = body.locator("span.deco.wb-suggestion", has_text="losses of £300m")
    expect(money).to_have_count(1)
    expect(body.locator("span.deco.wb-suggestion", has_text="grim day")).to_have_count(0)
    money.click()
    menu = page.locator(".wb-suggestion-menu")
    expect(menu).to_contain_text("money")
    menu.get_by_role("button", name="Accept as claim").click()
    expect(body.locator("mark.claim")).to_have_text("CRCs were forecasting losses of £300m by 2018.")
    expect(money).to_have_count(0)

    staff = body.locator("span.deco.wb-suggestion", has_text="40 per cent")
    staff.click()
    page.locator(".wb-suggestion-menu").get_by_role("button", name="Dismiss").click()
    expect(staff).to_have_count(0)
    db.session.commit()
    assert db.session.scalar(select(SuggestionDismissal)).exact == "Some 40 per cent of staff had left."
    page.reload()
    expect(body.locator("mark.claim")).to_have_count(1)
    expect(body.locator("span.deco.wb-suggestion")).to_have_count(0)


def test_claim_form_lists_matches_and_attaches(page: Page, live_server, browser_login, corpus, db, make_user):
    first, second = corpus["Losses"], corpus["More losses"]
    author = make_user("reviewer")
    exact = "losses of £300m"
    start = first.body.index(exact)
    claim = services.create_claim(author, {"post_id": first.id, "comment_id": None, "start": start,
                                           "end": start + len(exact), "exact": exact,
                                           "statement": "CRCs forecast losses of £300m", "category": "CRC finances"})
    db.session.commit()
    claim_id = claim.id
    browser_login(page, "reviewer")
    page.goto(f"{live_server}/posts/{second.id}")
    select_words(page, ".text[data-unit=body]", "losses reached £300 million")
    page.locator("#adder").click()
    matches = page.locator("#claim-matches")
    expect(matches.locator(".match-claims li")).to_contain_text("CRCs forecast losses of £300m")
    expect(matches.locator(".match-places li").first).to_contain_text("£300m")
    matches.get_by_role("button", name="Attach to this claim").click()
    expect(page.locator(".text[data-unit=body] mark.claim")).to_have_text("losses reached £300 million")
    db.session.commit()
    spans = db.session.scalars(select(ClaimSpan).where(ClaimSpan.claim_id == claim_id).order_by(ClaimSpan.id)).all()
    assert [(s.post_id, s.exact) for s in spans] == [(first.id, exact), (second.id, "losses reached £300 million")]
