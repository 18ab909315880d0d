"""`workbench export` and `workbench import FILE.jsonl` as real processes: backup, restore into a fresh
database (byte for byte, review tasks included), standard output, progress on stderr, filters,
malformed lines, merge conflicts."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.unit.exports.builders import annotate, correct_first_post

BIN = Path(sys.executable).parent / "workbench"


def run(args, url, stdin=None):
    env = dict(os.environ, DATABASE_URL=url)
    return subprocess.run([str(BIN), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)


def count(url, sql):
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    engine.dispose()
    return value


def table(url, sql):
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(None if v is None else str(v) for v in row) for row in conn.execute(text(sql))]
    engine.dispose()
    return rows


TASKS = ('SELECT t.uid, t.kind, a.username, b.username, t.status, t.notes, t.version, t.due_date, c.uid, p.slug '
         'FROM task t JOIN "user" a ON a.id = t.assignee_id JOIN "user" b ON b.id = t.created_by_id '
         'LEFT JOIN claim c ON c.id = t.claim_id JOIN post p ON p.id = t.post_id ORDER BY t.uid')


@pytest.fixture
def source(seeded, db, make_user, db_url):
    """The test database, annotated and committed, as the database a team has been working in."""
    annotate(db, make_user)
    db.session.commit()
    return db_url


@pytest.fixture
def fresh(tmp_path):
    url = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    assert run(["db", "upgrade"], url).returncode == 0
    return url


def test_backup_and_restore_into_a_fresh_database_gives_the_same_bytes(source, fresh, tmp_path, db):
    correct_first_post(db, tmp_path / "recrawl")   # its old texts and its moved claims' history travel too
    backup = tmp_path / "backup.jsonl"
    out = run(["export", "--format", "jsonl", "--output", str(backup)], source)
    assert out.returncode == 0, out.stderr
    assert "5 posts" in out.stderr and out.stdout == ""
    restored = run(["import", str(backup)], fresh)
    assert restored.returncode == 0, restored.stderr
    assert "IMPORTED" in restored.stdout and "5 posts added" in restored.stdout
    assert "created inactive user rita" in restored.stderr
    again = tmp_path / "again.jsonl"
    assert run(["export", "--output", str(again)], fresh).returncode == 0
    assert again.read_bytes() == backup.read_bytes()
    assert count(fresh, "SELECT count(*) FROM claim") == 4
    for action in ("correct_text", "correct_title", "reanchor"):
        sql = f"SELECT count(*) FROM audit_event WHERE action = '{action}'"
        assert count(fresh, sql) == count(source, sql) > 0, action
    # the assignments came along: who, by whom, in which state, on which claim or post
    assert "5 tasks added" in restored.stdout and "created inactive user tess" in restored.stderr
    assert table(fresh, TASKS) == table(source, TASKS) and len(table(fresh, TASKS)) == 5
    # importing the same file again merges nothing new and changes nothing
    twice = run(["import", str(backup)], fresh)
    assert twice.returncode == 0 and "5 already there" in twice.stdout and "0 conflicts" in twice.stdout
    assert "0 tasks added" in twice.stdout and "0 history events added" in twice.stdout


def test_export_to_standard_output_with_filters(source):
    out = run(["export", "--format", "csv", "--only-adjudicated", "-o", "-"], source)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("post,post_date") and len(lines) == 2
    w3c = run(["export", "--format", "w3c", "--status", "disputed", "--base-url", "https://wb.example/"], source)
    docs = [json.loads(line) for line in w3c.stdout.splitlines()]
    assert docs[0]["id"] == "https://wb.example/exports/w3c" and len(docs[1]["items"]) == 1
    bad = run(["export", "--date-from", "yesterday"], source)
    assert bad.returncode == 2 and "date_from must be a date" in bad.stderr


def test_a_malformed_line_is_reported_and_nothing_is_imported(source, fresh, tmp_path):
    backup = tmp_path / "backup.jsonl"
    run(["export", "-o", str(backup)], source)
    lines = backup.read_text("utf-8").splitlines()
    lines[2] = lines[2][:-5]
    backup.write_text("\n".join(lines) + "\n", "utf-8")
    out = run(["import", str(backup)], fresh)
    assert out.returncode == 1
    assert f"ERROR     {backup}: line 3: not JSON" in out.stderr and "nothing was imported" in out.stderr
    assert count(fresh, "SELECT count(*) FROM post") == 0


def test_conflicts_are_reported_not_overwritten(source, fresh, tmp_path):
    backup = tmp_path / "backup.jsonl"
    run(["export", "-o", str(backup)], source)
    assert run(["import", str(backup)], fresh).returncode == 0
    records = [json.loads(line) for line in backup.read_text("utf-8").splitlines()]
    claim = next(c for r in records for c in r["claims"])
    original = claim["statement"]
    claim["statement"] = "Changed in the other workbench"
    backup.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    out = run(["import", str(backup)], fresh)
    assert out.returncode == 1
    assert "CONFLICT" in out.stderr and f"claim {claim['uid']}: the stored claim differs (statement)" in out.stderr
    assert count(fresh, f"SELECT statement FROM claim WHERE uid = '{claim['uid']}'") == original


def test_omit_tasks_and_task_conflicts(source, fresh, tmp_path):
    backup = tmp_path / "backup.jsonl"
    run(["export", "-o", str(backup)], source)
    lean = run(["export", "--omit-tasks", "-o", "-"], source)
    assert lean.returncode == 0 and '"tasks"' not in lean.stdout and '"tasks"' in backup.read_text("utf-8")
    assert "--omit-tasks" in run(["export", "--help"], source).stdout
    assert run(["import", str(backup)], fresh).returncode == 0
    records = [json.loads(line) for line in backup.read_text("utf-8").split("\n")[:-1]]
    task = next(t for r in records for c in r["claims"] for t in c["tasks"])
    original, task["notes"] = task["notes"], "Reassigned in the other workbench"
    backup.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    out = run(["import", str(backup)], fresh)
    assert out.returncode == 1
    assert f"CONFLICT  {backup}: line" in out.stderr and f"task {task['uid']} differs from the stored one" in out.stderr
    assert count(fresh, f"SELECT notes FROM task WHERE uid = '{task['uid']}'") == original


def test_text_dumps_still_import_beside_native_files(fresh, tmp_path):
    from tests.conftest import SEEDS
    out = run(["import", str(SEEDS)], fresh)
    assert out.returncode == 0 and "5 imported" in out.stdout
