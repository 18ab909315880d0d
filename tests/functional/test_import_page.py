"""The Import page and POST /api/v1/imports through the test client, on the real database:
dump files and zips of them, all or nothing, a native export's round trip, the upload's
limits (size, zip safety, type, encoding), permissions and CSRF."""
import io
import json
import re
import zipfile

import pytest
from sqlalchemy import func, select

from tests.conftest import SEEDS, _empty_database
from tests.unit.exports.builders import annotate
from workbench.audit import AuditEvent
from workbench.corpus.models import Comment, Post

SEED_FILES = sorted(SEEDS.glob("*.txt"))
GOOD = """Wednesday 6 March 2019

A small post for the import page

The Ministry of Justice said so.

1 comment:

  1. A reader replies.
    ReplyDelete
"""


def seeds() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in SEED_FILES]


def make_zip(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def upload(client, files, url="/imports", **kw):
    data = {"files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(url, data=data, content_type="multipart/form-data", buffered=True, **kw)


def text_of(resp) -> str:
    return resp.get_data(as_text=True)


def rows(html: str) -> list[tuple[str, str]]:
    """(file name, status) for every row of the report's table, unescaped as a reader sees them."""
    import html as h
    return [(h.unescape(n), s.replace(" ", "_")) for n, s in re.findall(
        r'<td class="name">(.*?)</td>\s*<td><span class="file-status st-[a-z_]+">(.*?)</span>', html)]


def counts(db) -> tuple[int, int]:
    db.session.commit()
    return db.session.scalar(select(func.count(Post.id))), db.session.scalar(select(func.count(Comment.id)))


def upload_events(db) -> list[AuditEvent]:
    db.session.commit()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "import",
                                                        AuditEvent.action == "upload")).all()


@pytest.fixture
def admin(login):
    return login("admin")


# ---- dump files -------------------------------------------------------------------------------

def test_seed_files_import_and_a_second_upload_is_unchanged(admin, db):
    resp = upload(admin, seeds())
    html = text_of(resp)
    assert resp.status_code == 200, html
    assert rows(html) == [(p.name, "imported") for p in SEED_FILES]
    assert "Imported" in html and "workbench-import-" not in html and "/tmp" not in html
    posts, comments = counts(db)
    assert posts == 5 and comments == 78
    # the stored posts keep the uploaded files' names, as the command line keeps the dump files' names
    assert sorted(db.session.scalars(select(Post.source_name))) == [p.name for p in SEED_FILES]
    assert re.search(r"<dt>Comments added</dt><dd>{:,}</dd>".format(comments), html)
    [event] = upload_events(db)
    assert event.actor_id == admin.user.id
    assert event.after_data["files"] == [p.name for p in SEED_FILES] and event.after_data["kind"] == "dumps"

    again = upload(admin, seeds())
    assert again.status_code == 200
    assert rows(text_of(again)) == [(p.name, "unchanged") for p in SEED_FILES]
    assert counts(db) == (posts, comments)


def test_a_zip_of_dump_files_in_folders_imports_and_leaves_out_other_entries(admin, db):
    names = [p.name for p in SEED_FILES]
    archive = make_zip({"batch/2019/" + names[0]: SEED_FILES[0].read_bytes(),
                        "batch/2019/" + names[1]: SEED_FILES[1].read_bytes(),
                        "batch/late/deeper/still/" + names[2]: SEED_FILES[2].read_bytes(),
                        names[3]: SEED_FILES[3].read_bytes(),
                        "batch/" + names[4]: SEED_FILES[4].read_bytes(),
                        "batch/README.md": b"# notes", "__MACOSX/batch/._" + names[0]: b"\x00\x05\x16\x07"})
    resp = upload(admin, [("corpus.zip", archive)])
    html = text_of(resp)
    assert resp.status_code == 200, html
    assert sorted(rows(html)) == sorted([
        ("corpus.zip/batch/2019/" + names[0], "imported"), ("corpus.zip/batch/2019/" + names[1], "imported"),
        ("corpus.zip/batch/late/deeper/still/" + names[2], "imported"), ("corpus.zip/" + names[3], "imported"),
        ("corpus.zip/batch/" + names[4], "imported")])
    assert "corpus.zip/batch/README.md: left out (not a .txt dump file)" in html
    assert "left out (macOS metadata)" in html
    assert counts(db)[0] == 5
    assert sorted(db.session.scalars(select(Post.source_name))) == names
    # the same archive again: every post is already there
    assert [s for _, s in rows(text_of(upload(admin, [("corpus.zip", archive)])))] == ["unchanged"] * 5
    assert counts(db)[0] == 5


def test_a_malformed_file_among_good_ones_imports_nothing_and_says_where(admin, db):
    bad = GOOD.replace("Wednesday 6 March 2019", "Someday in March")
    resp = upload(admin, seeds()[:3] + [("broken <b>post</b>.txt", bad.encode())] + seeds()[3:])
    html = text_of(resp)
    assert resp.status_code == 422, html
    assert "Nothing was imported" in html and "1 of 6 files could not be imported" in html
    assert ("broken <b>post</b>.txt", "error") in rows(html)
    assert "broken &lt;b&gt;post&lt;/b&gt;.txt" in html and "<b>post</b>" not in html
    assert "<strong>line 1:</strong> expected a date line" in html
    assert [s for n, s in rows(html) if n != "broken <b>post</b>.txt"] == ["not_imported"] * 5
    assert counts(db) == (0, 0) and upload_events(db) == []

    # the API says the same in JSON: the report rides in the error
    resp = upload(admin, [("a.txt", GOOD.encode()), ("b.txt", bad.encode())], url="/api/v1/imports")
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "invalid" and error["field"] == "files"
    report = error["report"]
    assert report["imported"] is False and report["kind"] == "dumps"
    assert [(f["name"], f["status"], f["line"]) for f in report["files"]] == [
        ("a.txt", "not_imported", None), ("b.txt", "error", 1)]
    assert report["files"][1]["message"].startswith("expected a date line")
    assert counts(db) == (0, 0)


def test_a_changed_post_fails_the_upload_and_the_new_file_with_it(admin, db):
    assert upload(admin, seeds()[:1]).status_code == 200
    changed = SEED_FILES[0].read_text("utf-8").replace("Last Friday, one of largest", "Last Friday, one of the largest")
    assert changed != SEED_FILES[0].read_text("utf-8")
    resp = upload(admin, [(SEED_FILES[0].name, changed.encode()), ("new.txt", GOOD.encode())])
    html = text_of(resp)
    assert resp.status_code == 422
    assert rows(html) == [(SEED_FILES[0].name, "changed"), ("new.txt", "not_imported")]
    assert "differs from the stored post" in html
    assert counts(db)[0] == 1


def test_non_utf8_and_empty_and_mistyped_files_are_refused_with_a_message(admin, db):
    latin1 = GOOD.replace("A reader replies.", "Caf\u00e9 au lait.").encode("latin-1")
    resp = upload(admin, [("latin1.txt", latin1)])
    assert resp.status_code == 422
    assert "not UTF-8 (byte 0xe9" in text_of(resp) and "<strong>line 9:</strong>" in text_of(resp)
    resp = upload(admin, [("latin1.jsonl", b'{"slug": "caf\xe9"}\n')])
    assert resp.status_code == 422 and "<strong>line 1:</strong> not UTF-8 text" in text_of(resp)
    checks = [
        ([("empty.txt", b"")], 422, "empty.txt is empty (0 bytes); nothing was imported."),
        ([("notes.pdf", b"%PDF-1.4")], 415, "notes.pdf: this page imports dump files (.txt)"),
        ([("README", b"hello")], 415, "not files without an extension"),
        ([("a.txt", GOOD.encode()), ("backup.jsonl", b"{}\n")], 422,
         "A native export (.jsonl) is imported on its own, not together with dump files"),
        ([("one.jsonl", b"{}\n"), ("two.jsonl", b"{}\n")], 422, "One native export (.jsonl) at a time"),
        ([("really-a-zip.txt", make_zip({"a.txt": GOOD.encode()}))], 422, "is a zip archive, not a text dump"),
        ([("export.txt", b'{"slug": "x"}\n')], 422, "looks like a native export (JSON Lines)"),
        ([("", b"")], 422, "Choose the files to import"),
    ]
    for files, status, message in checks:
        resp = upload(admin, files)
        assert resp.status_code == status, (files[0][0], resp.status_code)
        assert message in text_of(resp), (files[0][0], text_of(resp)[-3000:])
        assert 'id="import-form"' in text_of(resp)    # the form again, to try once more
    api = upload(admin, [("notes.pdf", b"%PDF-1.4")], url="/api/v1/imports")
    assert api.status_code == 415 and api.get_json()["error"]["code"] == "unsupported_type"
    wrong = admin.post("/api/v1/imports", json={"files": []})
    assert wrong.status_code == 400 and "multipart/form-data" in wrong.get_json()["error"]["message"]
    assert counts(db) == (0, 0)


# ---- archives: traversal, bombs, damage -------------------------------------------------------

@pytest.mark.parametrize("entry, why", [
    ("../escaped.txt", "climbs out of the archive"),
    ("batch/../../escaped.txt", "climbs out of the archive"),
    ("/tmp/escaped.txt", "an absolute path"),
    ("C:\\Windows\\escaped.txt", "an absolute path"),
    ("batch\\..\\..\\escaped.txt", "climbs out of the archive"),
])
def test_an_archive_with_a_path_that_climbs_out_is_refused(admin, db, entry, why, tmp_path):
    archive = make_zip({"batch/good.txt": GOOD.encode(), entry: GOOD.replace("small", "escaped").encode()})
    resp = upload(admin, [("evil.zip", archive)])
    html = text_of(resp)
    assert resp.status_code == 422, html
    assert f"evil.zip: the entry" in html and why in html and "the archive is refused" in html
    assert counts(db) == (0, 0)


def test_a_symbolic_link_in_an_archive_is_refused(admin, db):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        link = zipfile.ZipInfo("batch/passwd.txt")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
    resp = upload(admin, [("links.zip", buf.getvalue())])
    assert resp.status_code == 422 and "has a symbolic link" in text_of(resp)


def test_zip_bombs_and_crowded_archives_are_refused_before_unpacking(app, admin, db):
    app.config["IMPORT_MAX_UNPACKED_BYTES"] = 2**20
    bomb = make_zip({"a.txt": GOOD.encode(), "bomb.txt": b"\n" * (5 * 2**20)})
    assert len(bomb) < 20_000
    resp = upload(admin, [("bomb.zip", bomb)])
    assert resp.status_code == 413, text_of(resp)
    assert "bomb.zip unpacks to more than the limit of 1 MB per upload (IMPORT_MAX_UNPACKED_BYTES; " \
           "its entries declare 5 MB)" in text_of(resp)
    # the limit is for the whole upload, not per archive
    half = make_zip({"a.txt": GOOD.encode() + b"\n" * (600 * 1024)})
    resp = upload(admin, [("one.zip", half), ("two.zip", half)])
    assert resp.status_code == 413 and "two.zip unpacks to more than the limit of 1 MB" in text_of(resp)
    app.config["IMPORT_MAX_ARCHIVE_FILES"] = 3
    crowded = make_zip({f"p{i}.txt": GOOD.encode() for i in range(4)})
    resp = upload(admin, [("crowded.zip", crowded)], url="/api/v1/imports")
    assert resp.status_code == 413
    assert resp.get_json()["error"] == {"code": "too_large", "field": "files", "message":
                                        "crowded.zip holds 4 entries; the limit is 3 per archive "
                                        "(IMPORT_MAX_ARCHIVE_FILES); nothing was imported."}
    assert counts(db) == (0, 0)


def test_a_damaged_zip_is_a_422_with_a_message(admin, db):
    good = make_zip({"a.txt": GOOD.encode(), "b.txt": GOOD.replace("small", "second").encode()})
    cases = {
        "garbage.zip": b"PK\x03\x04" + b"\x00garbage" * 50,
        "truncated.zip": good[: len(good) // 2],
        "text.zip": b"just some text, not an archive",
        # stored (not compressed), so the text can be changed in place: the checksum no longer matches
        "crc.zip": make_zip({"a.txt": GOOD.encode()}, zipfile.ZIP_STORED).replace(b"A reader replies.",
                                                                                b"A reader REPLIES."),
    }
    expected = {"garbage.zip": "is not a readable zip archive", "truncated.zip": "is not a readable zip archive",
                "text.zip": "is not a zip archive", "crc.zip": "crc.zip/a.txt is damaged (Bad CRC-32"}
    for name, data in cases.items():
        resp = upload(admin, [(name, data)])
        assert resp.status_code == 422, (name, resp.status_code)
        assert expected[name] in text_of(resp), (name, text_of(resp)[-2000:])
    assert upload(admin, [("empty.zip", make_zip({"folder/": b""}))]).status_code == 422
    assert counts(db) == (0, 0)


def test_a_request_over_the_size_limit_is_a_413_that_names_the_limit(app, admin, db):
    # (small figures: the test client spools a larger body to a file it never closes when unread)
    app.config["MAX_CONTENT_LENGTH"] = 100 * 1024
    big = GOOD.encode() + b"\n" * (300 * 1024)
    resp = upload(admin, [("big.txt", big)])
    assert resp.status_code == 413
    html = text_of(resp)
    assert "The upload is 300 KB; the limit is 100 KB per request." in html and 'id="import-form"' in html
    api = upload(admin, [("big.txt", big)], url="/api/v1/imports")
    assert api.status_code == 413 and api.get_json()["error"]["code"] == "too_large"
    assert "the limit is 100 KB per request" in api.get_json()["error"]["message"]
    assert upload(admin, [("small.txt", GOOD.encode())]).status_code == 200   # under the limit: fine
    assert counts(db)[0] == 1


# ---- native exports ---------------------------------------------------------------------------

def export_jsonl() -> bytes:
    from workbench.exports.filters import parse_options
    from workbench.exports.services import export
    return "".join(export(None, "jsonl", parse_options({}))).encode("utf-8")


def test_a_native_export_round_trips_through_the_page_byte_for_byte(seeded, app, db, make_user, login, _tables):
    annotate(db, make_user)
    db.session.commit()
    backup = export_jsonl()
    assert backup.count(b"\n") == 5
    # a new, empty workbench (this database, emptied the way every test ends) and its admin
    db.session.remove()
    _empty_database(db.engine, *_tables)
    admin = login("admin")
    resp = upload(admin, [("team backup.jsonl", backup)])
    html = text_of(resp)
    assert resp.status_code == 200, html
    assert rows(html) == [("team backup.jsonl", "imported")]
    assert "5 posts added, 0 already there" in html and "created the inactive user rita" in html
    assert export_jsonl() == backup

    # again: nothing new, nothing in conflict
    resp = upload(admin, [("team backup.jsonl", backup)], url="/api/v1/imports")
    report = resp.get_json()
    assert resp.status_code == 200 and report["kind"] == "native" and report["imported"] is True
    assert report["counts"]["posts_added"] == 0 and report["counts"]["posts_unchanged"] == 5
    assert report["conflicts"] == [] and report["files"][0]["status"] == "imported"

    # a colleague's copy that differs: merged, the difference listed, the stored claim kept
    records = [json.loads(line) for line in backup.decode("utf-8").splitlines()]
    claim = next(c for r in records for c in r["claims"])
    original, claim["statement"] = claim["statement"], "Changed <i>elsewhere</i>"
    theirs = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    resp = upload(admin, [("colleague.jsonl", theirs)])
    html = text_of(resp)
    assert resp.status_code == 200
    assert rows(html) == [("colleague.jsonl", "merged")]
    assert f"claim {claim['uid']}: the stored claim differs (statement)" in html
    assert "1 conflicts" in html
    assert export_jsonl() == backup and original in backup.decode("utf-8")
    assert [e.after_data["files"] for e in upload_events(db)] == [["team backup.jsonl"]] * 2 + [["colleague.jsonl"]]


def test_a_malformed_native_export_imports_nothing_and_gives_the_line(seeded, app, db, make_user, login, _tables):
    annotate(db, make_user)
    db.session.commit()
    lines = export_jsonl().decode("utf-8").splitlines()
    db.session.remove()
    _empty_database(db.engine, *_tables)
    admin = login("admin")
    lines[2] = lines[2][:-5]
    resp = upload(admin, [("backup.jsonl", ("\n".join(lines) + "\n").encode())])
    html = text_of(resp)
    assert resp.status_code == 422
    assert rows(html) == [("backup.jsonl", "error")]
    assert "<strong>line 3:</strong> not JSON" in html and "nothing was imported" in html
    assert counts(db) == (0, 0) and upload_events(db) == []


# ---- who may, CSRF ----------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["reviewer", "lead"])
def test_reviewers_and_leads_may_not_import(login, db, role):
    c = login(role)
    assert c.get("/imports").status_code == 403
    assert upload(c, seeds()[:1]).status_code == 403
    assert upload(c, seeds()[:1], url="/api/v1/imports").status_code == 403
    assert 'href="/imports"' not in text_of(c.get("/"))
    assert counts(db) == (0, 0)


def test_admins_find_the_page_in_the_top_bar(admin):
    html = text_of(admin.get("/exports"))
    assert 'href="/imports">Import</a>' in html
    page = re.sub(r"\s+", " ", text_of(admin.get("/imports")))
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    assert "Up to 200 MB per upload; an archive may unpack to 1 GB and hold 20,000 files." in page


def test_an_upload_without_the_csrf_token_is_refused(app, admin, db):
    from workbench.auth.services import create_token
    token, admin.csrf = admin.csrf, None
    resp = upload(admin, seeds()[:1])
    assert resp.status_code == 400 and "CSRF" in text_of(resp)
    resp = upload(admin, seeds()[:1], url="/api/v1/imports")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "csrf_failed"
    resp = upload(admin, seeds()[:1], headers={"X-CSRFToken": "forged"})
    assert resp.status_code == 400
    assert counts(db) == (0, 0)
    # with the token it goes through; a script with a Bearer token needs none
    admin.csrf = token
    assert upload(admin, seeds()[:1]).status_code == 200
    secret = create_token(admin.user, "script")
    db.session.commit()
    resp = app.test_client().post("/api/v1/imports", data={"files": [(io.BytesIO(SEED_FILES[1].read_bytes()), "x.txt")]},
                        headers={"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 200 and resp.get_json()["files"][0]["status"] == "imported"
    assert counts(db)[0] == 2


def test_the_api_is_described(admin):
    spec = admin.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/imports"]["post"]
    assert op["operationId"] == "importUpload" and "multipart/form-data" in op["requestBody"]["content"]
    assert "ImportReport" in spec["components"]["schemas"]


def test_the_correct_option_corrects_a_changed_post_and_moves_its_claims(admin, db, login):
    """The page's "correct stored posts" option: the same correction as `workbench import --accept-changes`."""
    from workbench.annotations.models import ClaimSpan
    assert upload(admin, seeds()[:1]).status_code == 200
    post = db.session.scalar(select(Post))
    exact = "one of 21 regional companies"
    start = post.body.index(exact)
    reviewer = login("reviewer")
    made = reviewer.post("/api/v1/claims", json={"post_id": post.id, "comment_id": None, "start": start,
                                                 "end": start + len(exact), "exact": exact, "statement": "21 CRCs",
                                                 "category": "reoffending"})
    assert made.status_code == 201, made.get_json()
    changed = SEED_FILES[0].read_text("utf-8").replace("Last Friday, one of largest", "Last Friday, one of the largest")
    html = text_of(upload(admin, [(SEED_FILES[0].name, changed.encode())]))
    assert 'id="accept_changes"' in html and "differs from the stored post" in html
    resp = admin.post("/imports", data={"files": [(io.BytesIO(changed.encode()), SEED_FILES[0].name)],
                                        "accept_changes": "y"}, content_type="multipart/form-data", buffered=True)
    html = text_of(resp)
    assert resp.status_code == 200 and rows(html) == [(SEED_FILES[0].name, "corrected")], html
    assert "1 moved to their words" in html and 'id="accept_changes" name="accept_changes" value="y"' in html
    db.session.expire_all()
    body = db.session.get(Post, post.id).body
    span = db.session.scalar(select(ClaimSpan))
    assert "one of the largest" in body and body[span.start:span.end] == exact and span.start == start + 4
    api = admin.post("/api/v1/imports", data={"files": [(io.BytesIO(changed.encode()), "again.txt")],
                                              "accept_changes": "true"}, content_type="multipart/form-data",
                     buffered=True)
    assert api.status_code == 200 and api.get_json()["files"][0]["status"] == "unchanged"
