"""The native export keeps the correction history: a post corrected by re-importing its dump
(`workbench import --accept-changes`) exports its old texts and title in the post's own
"history", its claims' reanchor events in theirs, and its annotate tasks' events with the tasks;
an empty workbench gets it all back byte for byte, a workbench that has some of it gets the rest
without doubling anything, --omit-history (and the page's and API's omit_history) leaves it out,
and an event that names what the line does not hold is a line-numbered error with nothing kept."""
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.functional.test_import_corrections import DUMP, claim
from workbench.audit import AuditEvent
from workbench.corpus.models import Comment, Post
from workbench.corpus.services import import_paths
from workbench.exports.filters import ExportOptions
from workbench.exports.importer import import_native, validator
from workbench.exports.services import export
from workbench.tasks import services as tasks
from workbench.tasks.models import Task, TaskKind

EARLIER = ("Tuesday 3 January 2017\n\nAn earlier post\n\nThe Ministry of Justice said so.\n\n"
           "1 comment:\n\n  1. A reader replies.\n\n    ReplyDelete\n")
CORRECTED = (DUMP.replace("CRC finances", "CRC Finances")
             .replace("By March 2018, CRCs", "By the end of March 2018, the 21 CRCs")
             .replace("😀 Great: 19", "😀 Great news (not): 19"))
LINE = 2   # the corrected post's line: lines go by date, and EARLIER is earlier


def dump(**options) -> str:
    return "".join(export(None, "jsonl", ExportOptions(**options), base="https://wb.example"))


def records_of(text: str) -> list[dict]:
    return [json.loads(line) for line in text.split("\n")[:-1]]


def write(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def events_in(records) -> int:
    return sum(len(r.get("history", [])) + sum(len(c.get("history", [])) for c in r["claims"]) for r in records)


@pytest.fixture
def corrected(db, import_dumps, login, make_user, tmp_path):
    """Two posts; one with claims on its body and on comment 1, an annotate task that was started,
    then corrected (title's case, body, comment 1) through the real importer; committed."""
    import_dumps({"earlier.txt": EARLIER, "post.txt": DUMP})
    post = db.session.scalar(select(Post).where(Post.title == "CRC finances"))
    comments = {c.path: c for c in db.session.scalars(select(Comment).where(Comment.post_id == post.id))}
    reviewer = login("reviewer")
    on_body = claim(reviewer, post, None, "nearly £300 million", "Losses of £300m")
    on_reply = claim(reviewer, post, comments["1"], "19 of 21 companies", "19 of 21 failed")
    lead, rita = make_user("lead", "lena"), make_user("reviewer", "rita")
    task = tasks.create_task(lead, tasks.TaskIn(TaskKind.ANNOTATE_POST, rita.id, post_id=post.id))
    tasks.transition(rita, task, "start")
    db.session.commit()
    path = tmp_path / "recrawl" / "post.txt"
    path.parent.mkdir()
    path.write_text(CORRECTED, "utf-8")
    result, = import_paths([path], accept_changes=True).results
    assert result.status == "corrected", result.message
    db.session.commit()
    return {"post": post.id, "slug": post.slug, "claims": (on_body, on_reply), "task": task.uid}


def test_the_export_carries_the_corrections_and_an_empty_workbench_gets_the_same_bytes(
        corrected, db, wipe, tmp_path):
    before = dump()
    records = records_of(before)
    for record in records:
        errors = list(validator().iter_errors(record))
        assert errors == [], errors[0].message if errors else None
    earlier, post = records
    assert earlier["history"] == [] and post["slug"] == corrected["slug"]
    history = {(e["entity_type"], e["entity"], e["action"]): e for e in post["history"]}
    title = history[("post", corrected["slug"], "correct_title")]
    assert (title["before"], title["after"]) == ({"title": "CRC finances"}, {"title": "CRC Finances"})
    assert title["actor"] is None and "post.txt" in title["reason"]
    assert history[("post", corrected["slug"], "correct_text")]["before"]["text"].startswith("By March 2018, CRCs")
    assert history[("comment", "1", "correct_text")]["before"]["text"].startswith("😀 Great: 19")
    assert ("comment", "2", "correct_text") not in history                   # comment 2 was not touched
    assert [(e["action"], e["actor"]) for e in post["history"] if e["entity_type"] == "task"] == \
        [("create", "lena"), ("start", "rita")]
    assert {e["entity"] for e in post["history"] if e["entity_type"] == "task"} == {corrected["task"]}
    assert [e["at"] for e in post["history"]] == sorted(e["at"] for e in post["history"])
    for c in post["claims"]:
        span, = c["spans"]
        moved = [e for e in c["history"] if e["action"] == "reanchor"]
        assert len(moved) == 1 and moved[0]["entity"] == span["uid"]
        assert moved[0]["after"]["start"] == span["start"] != moved[0]["before"]["start"]

    path = tmp_path / "backup.jsonl"
    path.write_text(before, "utf-8")
    wipe()
    report = import_native(path)
    db.session.commit()
    assert report.conflicts == [] and report.posts_added == 2 and report.tasks_added == 1
    assert report.events_added == events_in(records) and f"{events_in(records)} history events added" in report.summary()
    assert dump() == before
    # the audit log itself is back, each event on its own row here (not just the same bytes)
    post_id = db.session.scalar(select(Post.id).where(Post.slug == corrected["slug"]))
    comment_1 = db.session.scalar(select(Comment.id).where(Comment.post_id == post_id, Comment.path == "1"))
    kept = db.session.execute(select(AuditEvent.entity_type, AuditEvent.entity_id)
                              .where(AuditEvent.action == "correct_text")).all()
    assert sorted(kept) == sorted([("post", post_id), ("comment", comment_1)])
    task_id = db.session.scalar(select(Task.id).where(Task.uid == corrected["task"]))
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.entity_type == "task", AuditEvent.entity_id == task_id)) == 2


def test_a_workbench_that_has_some_of_it_gets_the_rest_once(corrected, db, wipe, app, tmp_path):
    full = dump()
    records = records_of(full)
    post = records[1]
    older = json.loads(json.dumps(records))
    # the other workbench lacks the task's start and one claim's reanchor event
    older[1]["history"] = [e for e in post["history"] if e["action"] != "start"]
    older[1]["claims"][0]["history"] = [e for e in post["claims"][0]["history"] if e["action"] != "reanchor"]
    wipe()
    assert import_native(write(tmp_path / "older.jsonl", older)).conflicts == []
    db.session.commit()
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    runner = app.test_cli_runner()
    path = tmp_path / "full.jsonl"
    path.write_text(full, "utf-8")
    out = runner.invoke(args=["import", str(path)])
    assert out.exit_code == 0, out.output
    assert "IMPORTED" in out.output and "2 already there" in out.output and "2 history events added" in out.output
    assert "0 conflicts" in out.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events + 2 + 1   # and the import's own
    assert dump() == full
    # once more: everything is there, nothing is added twice
    again = runner.invoke(args=["import", str(path)])
    assert again.exit_code == 0 and "0 history events added" in again.output, again.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events + 2 + 2
    assert dump() == full


def test_a_post_whose_text_differs_keeps_its_own_history(corrected, db, wipe, tmp_path):
    """A workbench holding the post as it was before the correction: the post is a conflict, and
    none of the file's history for it is added (it is about another text)."""
    full = dump()
    wipe()
    import_paths_result = import_paths([write_dump(tmp_path, DUMP)])
    db.session.commit()
    assert import_paths_result.results[0].status == "imported"
    path = tmp_path / "full.jsonl"
    path.write_text(full, "utf-8")
    report = import_native(path)
    db.session.commit()
    assert any(f"line {LINE}: post {corrected['slug']}: the stored text differs" in c and "history" in c
               for c in report.conflicts)
    assert report.events_added == 0
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "correct_text")) == 0


def write_dump(tmp_path, text):
    path = tmp_path / "again" / "post.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def test_omit_history_leaves_it_out_on_the_command_line_the_page_and_the_api(corrected, db, db_url, login, tmp_path,
                                                                            wipe):
    assert '"correct_text"' in dump() and '"reanchor"' in dump()
    lean = dump(omit_history=True)
    assert '"history"' not in lean and "correct_" not in lean and "By March 2018" not in lean
    # the command as a process (in this one it would leave the test's context reading only)
    out = subprocess.run([str(Path(sys.executable).parent / "workbench"), "export", "--omit-history", "-o", "-"],
                         env=dict(os.environ, DATABASE_URL=db_url), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout == lean, out.stderr
    lead = login("lead")
    page = lead.get("/exports/download?format=jsonl&omit_history=1", buffered=True)
    api = lead.get("/api/v1/exports?format=jsonl&omit_history=true", buffered=True)
    full = lead.get("/api/v1/exports?format=jsonl", buffered=True)
    assert page.status_code == api.status_code == full.status_code == 200
    assert '"history"' not in page.get_data(as_text=True) and '"history"' not in api.get_data(as_text=True)
    assert '"correct_title"' in full.get_data(as_text=True)
    # without the tasks, a post's history keeps its corrections but not the tasks' events
    no_tasks = records_of(dump(omit_tasks=True))[1]
    assert {e["entity_type"] for e in no_tasks["history"]} == {"post", "comment"}
    # a file without history restores the rest, and no correction is invented
    path = tmp_path / "lean.jsonl"
    path.write_text(lean, "utf-8")
    wipe()
    report = import_native(path)
    db.session.commit()
    assert report.events_added == 0 and report.posts_added == 2 and dump(omit_history=True) == lean
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action != "import_native")) == 0


def _comment_not_in_post(records):
    event = next(e for e in records[1]["history"] if e["entity_type"] == "comment")
    event["entity"] = "9"
    return "a correct_text event of comment 9, which is not among the post's comments"


def _reanchor_of_unknown_span(records):
    event = next(e for e in records[1]["claims"][1]["history"] if e["action"] == "reanchor")
    event["entity"] = "0" * 32
    return f"claims[1].history[{records[1]['claims'][1]['history'].index(event)}]: claim " \
           f"{records[1]['claims'][1]['uid']}: a reanchor event of span {'0' * 32}, which is not one of the claim's spans"


def _post_event_of_another_post(records):
    event = next(e for e in records[1]["history"] if e["entity_type"] == "post")
    event["entity"] = records[0]["slug"]
    return f"of post {records[0]['slug']}, which is not this line's post"


def _task_event_without_its_task(records):
    records[1]["tasks"] = []
    return "a create event of task"


def _correction_without_the_old_text(records):
    event = next(e for e in records[1]["history"] if e["action"] == "correct_text")
    event["before"] = {"length": 3}
    return f"history[{records[1]['history'].index(event)}].before: 'text' is a required property"


def _reanchor_without_offsets(records):
    event = next(e for e in records[1]["claims"][0]["history"] if e["action"] == "reanchor")
    del event["after"]["start"]
    return "'start' is a required property"


@pytest.mark.parametrize("mutate", [_comment_not_in_post, _reanchor_of_unknown_span, _post_event_of_another_post,
                                    _task_event_without_its_task, _correction_without_the_old_text,
                                    _reanchor_without_offsets])
def test_an_event_that_does_not_fit_is_a_line_numbered_error_and_nothing_is_written(
        corrected, db, wipe, app, tmp_path, mutate):
    records = records_of(dump())
    expected = mutate(records)
    path = write(tmp_path / "bad.jsonl", records)
    wipe()
    out = app.test_cli_runner().invoke(args=["import", str(path)])
    assert out.exit_code == 1
    assert f"ERROR     {path}: line {LINE}: " in out.output and "nothing was imported" in out.output, out.output
    assert expected in out.output, out.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Post.id))) == 0
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_the_import_page_refuses_it_with_the_line_too(corrected, db, wipe, login, tmp_path):
    records = records_of(dump())
    expected = _comment_not_in_post(records)
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    wipe()
    admin = login("admin")
    resp = admin.post("/api/v1/imports", data={"files": [(io.BytesIO(body), "bad.jsonl")]},
                      content_type="multipart/form-data", buffered=True)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert expected in json.dumps(resp.get_json(), ensure_ascii=False)
    assert f"line {LINE}" in json.dumps(resp.get_json()) or f'"line": {LINE}' in json.dumps(resp.get_json())
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Post.id))) == 0
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.entity_type != "import")) == 0
