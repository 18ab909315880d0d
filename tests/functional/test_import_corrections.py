"""Correcting a stored post by re-importing it (`workbench import --accept-changes`): the texts
are replaced only when every claim on them finds its words, the claims move with their words,
the old text is kept in the audit log, and the search index follows."""
import pytest
from sqlalchemy import func, select, text

from workbench.audit import AuditEvent
from workbench.corpus.models import Comment, Post
from workbench.corpus.services import import_paths

DUMP = ("Monday 22 October 2018\n\nCRC finances\n\n"
        "By March 2018, CRCs were forecasting losses of nearly £300 million on their contracts.\n\n"
        "2 comments:\n\n"
        "  1. 😀 Great: 19 of 21 companies failed to meet their reoffending targets.\n\n"
        "    ReplyDelete\n"
        "  2. Staff caseloads rose to 60 per officer.\n\n"
        "    ReplyDelete\n")


@pytest.fixture
def stored(db, import_dumps, tmp_path):
    import_dumps({"post.txt": DUMP})
    post = db.session.scalar(select(Post))
    comments = {c.path: c for c in db.session.scalars(select(Comment).where(Comment.post_id == post.id))}
    return post, comments


def claim(client, post, comment, exact, statement="A claim"):
    unit = comment.text if comment else post.body
    start = unit.index(exact)
    resp = client.post("/api/v1/claims", json={
        "post_id": post.id, "comment_id": comment.id if comment else None, "start": start,
        "end": start + len(exact), "exact": exact, "statement": statement, "category": "reoffending"})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def reimport(db, tmp_path, dump, accept=True):
    path = tmp_path / "recrawl" / "post.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text(dump, "utf-8")
    report = import_paths([path], accept_changes=accept)
    db.session.commit()
    return report.results[0], report


def spans_of(client, claim_id):
    return client.get(f"/api/v1/claims/{claim_id}").get_json()["spans"]


def test_a_corrected_post_moves_its_claims_with_their_words(db, stored, login, tmp_path):
    post, comments = stored
    c = login("reviewer")
    on_body = claim(c, post, None, "nearly £300 million")
    on_reply = claim(c, post, comments["1"], "19 of 21 companies")
    untouched = claim(c, post, comments["2"], "60 per officer")
    corrected = (DUMP.replace("By March 2018, CRCs", "By the end of March 2018, the 21 CRCs")
                 .replace("😀 Great: 19", "😀 Great news (not): 19"))
    result, report = reimport(db, tmp_path, corrected)
    assert result.status == "corrected" and not report.failed, result.message
    assert "the post body" in result.message and "comment 1" in result.message
    assert "3 claim spans" not in result.message   # comment 2 was not touched, nor its claim
    db.session.expire_all()
    body = db.session.get(Post, post.id).body
    reply = db.session.get(Comment, comments["1"].id).text
    assert body.startswith("By the end of March 2018") and reply.startswith("😀 Great news (not)")
    for claim_id, unit, exact in ((on_body, body, "nearly £300 million"),
                                  (on_reply, reply, "19 of 21 companies")):
        span, = spans_of(c, claim_id)
        assert unit[span["start"]:span["end"]] == span["exact"] == exact
        assert unit[:span["start"]].endswith(span["prefix"]) and unit[span["end"]:].startswith(span["suffix"])
    assert spans_of(c, untouched)[0]["start"] == comments["2"].text.index("60 per officer")
    # The history says where each claim moved and why; the old texts are kept.
    history = c.get(f"/api/v1/claims/{on_body}/history").get_json()
    moves = [e for e in history["items"] if e["action"] == "reanchor"]
    assert len(moves) == 1 and "post.txt" in moves[0]["reason"]
    assert moves[0]["after"]["start"] - moves[0]["before"]["start"] == len("the end of ") + len("the 21 ")
    kept = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "correct_text")).all()
    assert sorted(e.before_data["text"][:9] for e in kept) == ["By March ", "😀 Great: "]
    # The reading page paints the claims on the new words.
    page = c.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "By the end of March 2018" in page
    # Re-importing the corrected file again changes nothing.
    again, _ = reimport(db, tmp_path, corrected)
    assert again.status == "unchanged"


def test_without_the_option_a_changed_post_is_reported_and_kept(db, stored, login, tmp_path):
    post, _ = stored
    result, report = reimport(db, tmp_path, DUMP.replace("nearly", "almost"), accept=False)
    assert result.status == "changed" and report.failed and "--accept-changes" in result.message
    db.session.expire_all()
    assert "nearly £300 million" in db.session.get(Post, post.id).body


@pytest.mark.parametrize("edit,reason", [
    (lambda d: d.replace("19 of 21 companies", "nineteen of the companies"), "not in the corrected text"),
    (lambda d: d.replace("😀 Great: 19 of 21 companies failed to meet their reoffending targets.",
                         "Sad: 19 of 21 companies failed. Sad: 19 of 21 companies failed."), "occur 2 times"),
])
def test_a_claim_whose_words_cannot_be_found_for_sure_stops_the_correction(db, stored, login, tmp_path,
                                                                           edit, reason):
    post, comments = stored
    c = login("reviewer")
    on_body = claim(c, post, None, "nearly £300 million")
    on_reply = claim(c, post, comments["1"], "19 of 21 companies")
    before_body, before_reply = post.body, comments["1"].text
    spans_before = {i: spans_of(c, i) for i in (on_body, on_reply)}
    result, report = reimport(db, tmp_path, edit(DUMP).replace("CRCs were", "CRCs are"))
    assert result.status == "changed" and report.failed
    assert f"claim {on_reply} in comment 1" in result.message and reason in result.message
    db.session.expire_all()
    assert db.session.get(Post, post.id).body == before_body                 # nothing changed at all
    assert db.session.get(Comment, comments["1"].id).text == before_reply
    assert {i: spans_of(c, i) for i in (on_body, on_reply)} == spans_before
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "correct_text")) == 0


def test_a_retracted_claim_still_needs_its_words(db, stored, login, tmp_path):
    post, comments = stored
    c = login("reviewer")
    gone = claim(c, post, comments["2"], "60 per officer")
    version = c.get(f"/api/v1/claims/{gone}").get_json()["version"]
    assert c.post(f"/api/v1/claims/{gone}/retract", json={"version": version, "reason": "dup"}).status_code == 200
    result, _ = reimport(db, tmp_path, DUMP.replace("60 per officer", "sixty per officer"))
    assert result.status == "changed" and f"claim {gone}" in result.message


def test_stored_comments_missing_from_the_file_stop_the_correction(db, stored, tmp_path):
    post, _ = stored
    cut = DUMP.split("  2. Staff")[0].replace("2 comments:", "1 comment:").replace("nearly", "almost")
    result, _ = reimport(db, tmp_path, cut)
    assert result.status == "changed" and "comment 2" in result.message and "never removed" in result.message
    db.session.expire_all()
    assert db.session.get(Post, post.id).comment_count == 2


def test_a_correction_can_add_comments_and_search_finds_the_new_words(db, stored, tmp_path):
    post, _ = stored
    grown = (DUMP.replace("2 comments:", "3 comments:").replace("nearly £300 million", "nearly £300 million (NAO)")
             + "  3. Probation officers quit in droves.\n\n    ReplyDelete\n")
    result, report = reimport(db, tmp_path, grown)
    assert result.status == "corrected" and result.comments == 1 and report.comments_imported == 1
    db.session.expire_all()
    assert db.session.get(Post, post.id).comment_count == 3
    if db.engine.dialect.name == "sqlite":
        hits = db.session.execute(text("SELECT rowid FROM fts_post WHERE fts_post MATCH 'NAO'")).scalars().all()
        assert hits == [post.id]
        for fts in ("fts_post", "fts_comment"):
            db.session.execute(text(f"INSERT INTO {fts} ({fts}, rank) VALUES ('integrity-check', 1)"))
    else:
        hits = db.session.execute(text("SELECT id FROM post WHERE search_tsv @@ plainto_tsquery('english', 'NAO')"))
        assert hits.scalars().all() == [post.id]


def test_the_command_line_takes_the_option(app, db, stored, tmp_path):
    path = tmp_path / "fixed.txt"
    path.write_text(DUMP.replace("nearly", "almost"), "utf-8")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["import", str(path)])
    assert refused.exit_code == 1 and "--accept-changes" in refused.output
    done = runner.invoke(args=["import", "--accept-changes", str(path)])
    assert done.exit_code == 0 and "CORRECTED" in done.output and "1 corrected" in done.output, done.output


def test_a_corrected_post_exports_valid_and_imports_back_byte_for_byte(db, stored, login, tmp_path, _tables):
    import json
    from tests.conftest import _empty_database
    from workbench.exports.filters import ExportOptions
    from workbench.exports.importer import import_native, validator
    from workbench.exports.services import export
    post, comments = stored
    c = login("reviewer")
    claim(c, post, comments["1"], "19 of 21 companies")
    result, _ = reimport(db, tmp_path, DUMP.replace("😀 Great: 19", "😀 Great news: 19"))
    assert result.status == "corrected"

    def dump():
        return "".join(export(None, "jsonl", ExportOptions(), base="https://wb.example"))
    before = dump()
    record, = [json.loads(line) for line in before.splitlines()]
    assert list(validator().iter_errors(record)) == []
    span, = record["claims"][0]["spans"]
    assert span["exact"] == "19 of 21 companies" and span["start"] == len("😀 Great news: ")
    assert [e["action"] for e in record["claims"][0]["history"] if e["entity_type"] == "span"] == \
        ["create", "reanchor"]
    path = tmp_path / "backup.jsonl"
    path.write_text(before, "utf-8")
    db.session.commit()
    db.session.close()
    _empty_database(db.engine, *_tables)
    report = import_native(path)
    db.session.commit()
    assert report.conflicts == [] and dump() == before


def test_a_correction_uploaded_on_the_import_page_names_who_made_it(db, stored, login, make_user):
    """The old texts and each moved claim's history say who corrected, as the upload itself does;
    from the command line they say nobody (the command line)."""
    import io
    post, comments = stored
    on_body = claim(login("reviewer"), post, None, "nearly £300 million")
    admin_user = make_user("admin")
    admin = login("admin", admin_user)
    corrected = DUMP.replace("By March 2018, CRCs", "By the end of March 2018, CRCs")
    resp = admin.post("/imports", data={"files": [(io.BytesIO(corrected.encode()), "post.txt")],
                                        "accept_changes": "y"}, content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(["correct_text", "reanchor", "upload"]))).all()
    assert sorted(e.action for e in events) == ["correct_text", "reanchor", "upload"]
    assert {e.actor_id for e in events} == {admin_user.id}
    assert next(e for e in events if e.action == "reanchor").claim_id == on_body
