"""The dispute page in a real browser: the span in context, verdicts side by side in columns with
their differences marked, the discussion, and adjudication through the form (the minority stays)."""
import os

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.unit.review.helpers import PHRASES, give_verdict, make_claim
from workbench.annotations import schemas, services as claims
from workbench.review import services as review
from workbench.review.models import Adjudication

SHOTS = os.environ.get("REVIEW_SCREENSHOTS")  # a folder: keep the screenshots to look at


def _dispute(db, make_user):
    author, rita, ravi = make_user(), make_user(), make_user()
    claim = make_claim(db, author, "19 of 21 CRCs failed their reoffending targets")
    claims.add_source(rita, claim, schemas.parse_source({
        "url": "https://www.gov.uk/proven-reoffending", "title": "Proven reoffending statistics",
        "publisher": "Ministry of Justice", "quote": "19 of the 21 CRCs", "stance": "supports"}))
    claims.add_source(ravi, claim, schemas.parse_source({
        "url": "https://www.nao.org.uk/tr", "title": "Transforming Rehabilitation: progress review",
        "publisher": "NAO", "quote": "17 of 21", "stance": "refutes"}))
    give_verdict(db, rita, claim, "true", "The MoJ table says 19 of 21.")
    give_verdict(db, ravi, claim, "mostly_false", "The NAO counts 17, not 19.")
    review.post_discussion(ravi, claim, "Which year's table are we using?")
    db.session.commit()
    return claim, rita, ravi


def test_dispute_page_columns_and_adjudication(page: Page, live_server, browser_login, seeded, db, make_user):
    claim, rita, ravi = _dispute(db, make_user)
    browser_login(page, "lead")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server}/disputes")
    expect(page.locator(".dispute-item h2")).to_have_text("19 of 21 CRCs failed their reoffending targets")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/disputes.png", full_page=True)
    page.click("text=Review and adjudicate")
    expect(page.locator(".span-context mark").first).to_have_text(PHRASES[0])

    columns = page.locator(".verdict-col")
    expect(columns).to_have_count(2)
    first, second = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
    assert abs(first["y"] - second["y"]) < 2 and second["x"] > first["x"] + first["width"] - 1  # side by side
    expect(columns.nth(0)).to_contain_text(rita.name)
    expect(columns.nth(0)).to_contain_text("The MoJ table says 19 of 21.")
    expect(columns.nth(0)).to_contain_text("Proven reoffending statistics")
    expect(columns.nth(1)).to_contain_text("The NAO counts 17, not 19.")
    expect(columns.nth(1).locator(".stance-refutes")).to_be_visible()
    expect(page.locator(".differ-note")).to_contain_text("differ by 3 steps")
    expect(page.locator(".discussion .posts li")).to_contain_text("Which year's table are we using?")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/dispute.png", full_page=True)

    page.select_option("select[name=a-rating]", "mostly_true")
    page.fill("textarea[name=a-reasoning]", "19 of 21 in the 2019 table; the NAO figure is older.")
    page.click(".adjudicate-form button[type=submit]")
    expect(page.locator(".adjudicated")).to_contain_text("Final: mostly true")
    expect(page.locator(".flashes")).to_contain_text("Every verdict stays on the record")
    expect(page.locator(".verdict-col")).to_have_count(2)          # the minority view stays on screen
    expect(page.locator(".verdict-col").nth(1)).to_contain_text("mostly false")
    expect(page.locator(".status")).to_have_text("adjudicated")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/adjudicated.png", full_page=True)
    db.session.commit()
    row = db.session.scalar(select(Adjudication).where(Adjudication.claim_id == claim.id))
    assert row.rating.value == "mostly_true" and row.reopened_at is None

    page.fill("input[name=r-reason]", "The 2020 table changes the count.")
    page.click(".reopen-form button[type=submit]")
    expect(page.locator(".status")).to_have_text("disputed")
    expect(page.locator(".past-adjudications summary")).to_contain_text("1 earlier adjudication")


def test_reviewer_is_blind_until_their_own_verdict(page: Page, live_server, browser_login, seeded, db, make_user):
    claim, _rita, _ravi = _dispute(db, make_user)
    browser_login(page, "reviewer")
    page.goto(f"{live_server}/claims/{claim.id}/review")
    expect(page.locator(".blind-note")).to_contain_text("2 verdicts given")
    expect(page.locator(".verdict-col")).to_have_count(0)
    expect(page.locator(".adjudicate-form")).to_have_count(0)
    if SHOTS:
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=f"{SHOTS}/blind-phone.png", full_page=True)


AXE = "/static/vendor/axe-core/axe.min.js"


def axe_violations(page: Page, live_server: str) -> list[str]:
    page.add_script_tag(url=live_server + AXE)  # same origin, so the CSP allows it
    return page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']}});
        return r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")


def test_review_pages_pass_axe(page: Page, live_server, browser_login, seeded, db, make_user):
    from datetime import date
    from workbench.tasks import services as tasks
    claim, rita, ravi = _dispute(db, make_user)
    lead = make_user("lead")
    tasks.bulk_assign_posts(lead, tasks.PostSelection(), [rita.id, ravi.id], due_date=date(2020, 1, 1))
    tasks.assign_checks(lead, [claim.id], [make_user().id], 1)
    db.session.commit()
    browser_login(page, "admin")
    page.set_viewport_size({"width": 1366, "height": 768})
    found = {}
    for path in ["/disputes", f"/claims/{claim.id}/review", "/tasks", "/team", "/agreement", "/queue"]:
        page.goto(live_server + path)
        found[path] = axe_violations(page, live_server)
    assert found == {path: [] for path in found}
    page.context.clear_cookies()
    browser_login(page, user=rita)
    page.goto(live_server + "/queue")
    expect(page.locator("tr.overdue")).to_have_count(3)      # posts 1, 3 and 5 of the round-robin
    assert axe_violations(page, live_server) == []
