"""The reading page in a real browser: log in, open a post, jump to a comment, collapse a thread."""
from playwright.sync_api import Page, expect
from sqlalchemy import select

from workbench.corpus.models import Post


def test_read_post_and_collapse_thread(page: Page, live_server, browser_login, seeded, db, tmp_path):
    browser_login(page)
    pid = db.session.scalar(select(Post.id).where(Post.title == "Institute Offers TR Advice"))
    page.goto(f"{live_server}/posts/{pid}#c4-8")
    expect(page.locator("h1")).to_have_text("Institute Offers TR Advice")
    expect(page.locator("#c4-8 .text").first).to_be_visible()
    toggle = page.locator("#c4 > article button[data-collapse]")
    expect(toggle).to_have_text("Hide 8 replies")
    toggle.click()
    expect(page.locator("#c4-1")).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(tmp_path / "phone.png"))
    assert (tmp_path / "phone.png").stat().st_size > 5000
