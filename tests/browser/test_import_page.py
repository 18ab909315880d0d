"""The Import page in a real browser: an admin picks files in the file dialog, the report comes
back; a broken file among good ones imports nothing and says where. IMPORT_SHOTS=<folder> keeps
the screenshots."""
import os
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from tests.conftest import SEEDS
from workbench.corpus.models import Post


def shot(page: Page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("IMPORT_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)
    assert (folder / name).stat().st_size > 5000


def test_upload_dump_files_and_read_the_report(page: Page, live_server, browser_login, db, tmp_path):
    browser_login(page, "admin")
    page.get_by_role("link", name="Import").click()
    expect(page.locator("h1")).to_have_text("Import")
    shot(page, tmp_path, "1-form.png")

    broken = tmp_path / "broken <img src=x onerror=alert(1)>.txt"
    broken.write_text("Someday in March\n\nA title\n", "utf-8")
    good = sorted(SEEDS.glob("*.txt"))
    page.set_input_files("#files", [str(p) for p in good[:2]] + [str(broken)])
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Nothing was imported")).to_be_visible()
    error_row = page.locator("table.files tr", has_text="broken <img src=x onerror=alert(1)>.txt")
    expect(error_row).to_contain_text("line 1:")
    expect(error_row).to_contain_text("expected a date line")
    expect(page.locator("table.files .file-status")).to_have_text(["not imported", "not imported", "error"])
    shot(page, tmp_path, "2-failed.png")
    db.session.commit()
    assert db.session.scalar(select(func.count(Post.id))) == 0

    page.set_input_files("#files", [str(p) for p in good])
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Imported", exact=True)).to_be_visible()
    expect(page.locator("table.files .file-status")).to_have_text(["imported"] * 5)
    expect(page.locator(".counts")).to_contain_text("Comments added")
    shot(page, tmp_path, "3-imported.png")
    db.session.commit()
    assert db.session.scalar(select(func.count(Post.id))) == 5
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, tmp_path, "4-phone.png")


def test_a_colleagues_export_merges_and_lists_its_conflicts(page: Page, live_server, browser_login, seeded, db,
                                                            make_user, tmp_path):
    import io
    import json
    import zipfile
    from tests.unit.exports.builders import annotate
    from workbench.exports.filters import parse_options
    from workbench.exports.services import export
    annotate(db, make_user)
    db.session.commit()
    records = [json.loads(line) for line in "".join(export(None, "jsonl", parse_options({}))).splitlines()]
    db.session.commit()
    claim = next(c for r in records for c in r["claims"])
    claim["statement"] = "The same claim, worded differently elsewhere"
    theirs = tmp_path / "colleague.jsonl"
    theirs.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")

    browser_login(page, "admin")
    page.goto(live_server + "/imports")
    page.set_input_files("#files", str(theirs))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Merged, with 1 conflict", exact=True)).to_be_visible()
    expect(page.locator("table.files .file-status")).to_have_text(["merged"])
    expect(page.locator("ul.conflicts li")).to_have_text([f"line 1: claim {claim['uid']}: the stored claim differs (statement); kept the stored one"])
    shot(page, tmp_path, "5-merged.png")

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("batch/../../etc/cron.d/evil.txt", "x")
    (tmp_path / "evil.zip").write_bytes(buf.getvalue())
    page.set_input_files("#files", str(tmp_path / "evil.zip"))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("climbs out of the archive")
    shot(page, tmp_path, "6-refused.png")
