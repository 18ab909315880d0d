"""The native JSON Lines export: schema, stable bytes, round trip, merge, malformed lines."""
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from workbench.annotations.models import Claim, Verdict
from workbench.audit import AuditEvent
from workbench.corpus.models import Post
from workbench.exports.filters import ExportOptions
from workbench.exports.importer import NativeImportError, import_native, validator
from workbench.exports.services import export
from workbench.tasks.models import Task
from tests.unit.exports.builders import correct_first_post


def dump(**options) -> str:
    return "".join(export(None, "jsonl", ExportOptions(**options), base="https://wb.example"))


def lines(text):
    return [json.loads(line) for line in text.splitlines()]


def test_every_line_matches_the_schema(annotated):
    records = lines(dump())
    assert len(records) == 5
    for record in records:
        errors = list(validator().iter_errors(record))
        assert errors == [], errors[0].message if errors else None
    claims = {c["statement"]: c for r in records for c in r["claims"]}
    disputed = claims["A disputed claim"]
    assert disputed["status"] == "disputed"
    assert [v["rating"] for v in disputed["verdicts"]] == ["mostly_true", "false", "mostly_false"]
    assert [v["superseded_at"] is None for v in disputed["verdicts"]] == [True, False, True]
    assert disputed["flags"][0]["reason"] == "The figure is for 2012."
    assert disputed["discussion"][0]["author"] == "rita"
    assert {e["entity_type"] for e in disputed["history"]} >= {"claim", "span", "source", "verdict", "flag"}
    assert all(e["entity"] for e in disputed["history"])
    assert claims["A claim in a comment"]["adjudications"][0]["lead"] == "lena"
    assert claims["A claim in a comment"]["spans"][0]["comment"] is not None
    assert len(claims["Seen twice"]["spans"]) == 2
    assert claims["Withdrawn"]["retracted_at"] is not None
    first = records[0]
    assert [c["path"] for c in first["comments"]][:2] == ["1", "1.1"] or first["comments"][0]["parent"] is None
    assert all(c["parent"] == (c["path"].rsplit(".", 1)[0] if "." in c["path"] else None) for c in first["comments"])
    # tasks: a claim's in the claim, a post's annotate tasks in the post's line, before its comments
    check, adjudicate = disputed["tasks"]
    assert (check["kind"], check["assignee"], check["created_by"], check["status"]) == \
        ("check_claim", "ravi", "lena", "done")
    assert check["due_date"] == "2026-12-01" and check["priority"] == 1 and check["notes"].endswith("😀")
    assert check["completed_at"] and check["version"] == 2 and check["archived_at"] is None
    assert (adjudicate["kind"], adjudicate["status"], adjudicate["due_date"]) == ("adjudicate_claim", "open", None)
    dropped, = claims["Seen twice"]["tasks"]
    assert dropped["status"] == "cancelled" and dropped["archived_at"] and dropped["completed_at"] is None
    assert claims["A claim in a comment"]["tasks"] == []
    assert [(t["assignee"], t["status"]) for t in first["tasks"]] == [("tess", "open")]
    assert [(t["kind"], t["assignee"], t["status"], t["priority"]) for r in records[1:] for t in r["tasks"]] == \
        [("annotate_post", "rita", "in_progress", 3)]
    assert list(first)[-3:] == ["tasks", "comments", "claims"] and list(disputed)[-1] == "tasks"
    # a task's events in the claim's history name it by uid
    events = [e for e in disputed["history"] if e["entity_type"] == "task"]
    assert {e["entity"] for e in events} == {check["uid"], adjudicate["uid"]}


def test_same_data_same_bytes(annotated):
    assert dump() == dump()


def test_round_trip_into_an_empty_database_is_byte_identical(annotated, db, wipe, tmp_path):
    """With a post corrected by re-importing its dump (its old texts and title in the post's
    history, its claims moved to their words: reanchor events) and annotate tasks' events."""
    correct_first_post(db, tmp_path / "recrawl")
    before = dump()
    records = lines(before)
    history = [(e["entity_type"], e["entity"], e["action"]) for e in records[0]["history"]]
    assert ("post", records[0]["slug"], "correct_title") in history and ("post", records[0]["slug"], "correct_text") \
        in history and ("comment", "1", "correct_text") in history
    assert {a for t, _, a in history if t == "task"} == {"create"}   # tess's annotate task
    moved = [e for c in records[0]["claims"] for e in c["history"] if e["action"] == "reanchor"]
    assert moved and all(e["entity"] in {s["uid"] for c in records[0]["claims"] for s in c["spans"]} for e in moved)
    events = sum(len(r["history"]) + sum(len(c["history"]) for c in r["claims"]) for r in records)
    path = tmp_path / "backup.jsonl"
    path.write_text(before, "utf-8")
    wipe()
    assert db.session.scalar(select(func.count(Post.id))) == 0
    report = import_native(path)
    db.session.commit()
    assert report.conflicts == [] and report.posts_added == 5 and report.claims_added == 4
    assert report.tasks_added == 5 and "5 tasks added" in report.summary()
    assert report.events_added == events and f"{events} history events added" in report.summary()
    assert sorted(report.users_created) == ["lena", "ravi", "rita", "tess"]   # tess: only in a task
    assert dump() == before
    assert db.session.scalar(select(func.count(Task.id))) == 5
    # the restored tasks keep their version (edits with the version a page holds still work)
    check = db.session.scalar(select(Task).where(Task.kind == "check_claim", Task.status == "done"))
    assert check.version == 2 and check.assignee.username == "ravi" and check.post_id is not None
    # the restored rows behave: status derived again, one current verdict per reviewer
    assert db.session.scalar(select(func.count(Verdict.id)).where(Verdict.superseded_at.is_(None))) == 6


def test_reimport_into_the_same_database_changes_nothing(annotated, db, tmp_path):
    before = dump()
    path = tmp_path / "x.jsonl"
    path.write_text(before, "utf-8")
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    report = import_native(path)
    db.session.commit()
    assert report.conflicts == [] and report.posts_unchanged == 5 and report.claims_merged == 4
    assert report.parts_added == 0 and report.tasks_added == 0
    assert dump() == before
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events + 1   # the import itself


def test_merge_adds_new_parts_and_reports_conflicts(annotated, db, tmp_path):
    records = lines(dump())
    claims = {c["statement"]: c for r in records for c in r["claims"]}
    disputed = claims["A disputed claim"]
    kept_title = disputed["sources"][0]["title"]   # its two sources may tie on created_at: order by uid
    disputed["statement"] = "Edited elsewhere"                     # conflict: claim differs
    disputed["sources"][0]["title"] = "Another title"               # conflict: part differs
    disputed["discussion"].append({"uid": "f" * 32, "author": "newcomer", "body": "From the other team.",
                                   "created_at": "2030-01-01T00:00:00.000000Z"})   # new: merged in
    disputed["verdicts"][0]["superseded_at"] = "2029-01-01T00:00:00.000000Z"   # conflict: part differs
    disputed["verdicts"].append({"uid": "e" * 32, "reviewer": "rita", "rating": "true", "rationale": "",
                                 "created_at": "2030-01-01T00:00:00.000000Z", "superseded_at": None})
    adjudicated = claims["A claim in a comment"]
    adjudicated["adjudications"] = [{"uid": "d" * 32, "lead": "lena", "rating": "true", "reasoning": "",
                                         "created_at": "2030-01-01T00:00:00.000000Z", "reopened_at": None,
                                         "reopened_by": None, "reopen_reason": None}]
    path = tmp_path / "other.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    report = import_native(path)
    db.session.commit()
    text = "\n".join(report.conflicts)
    assert "the stored claim differs (statement)" in text
    assert "source " + disputed["sources"][0]["uid"] in text
    assert "rita already has a different current verdict" in text
    assert "already adjudicated here differently" in text
    assert report.parts_added == 1 and report.users_created == ["newcomer"]
    claim = db.session.get(Claim, annotated["disputed"])
    assert claim.statement == "A disputed claim"
    after = {c["statement"]: c for r in lines(dump()) for c in r["claims"]}["A disputed claim"]
    assert after["discussion"][-1]["body"] == "From the other team."
    assert after["sources"][0]["title"] == kept_title


def test_a_changed_post_is_a_conflict_and_its_claims_are_skipped(annotated, db, tmp_path):
    records = lines(dump())
    records[0]["content_hash"] = "0" * 64
    records[0]["body"] += " Edited elsewhere."
    records[0]["claims"][0]["uid"] = "a" * 32
    path = tmp_path / "changed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    report = import_native(path)
    assert any("stored text differs" in c and "line 1" in c for c in report.conflicts)
    assert db.session.scalar(select(Claim.id).where(Claim.uid == "a" * 32)) is None


def test_a_post_hashed_with_the_old_formula_is_the_same_post(annotated, db, tmp_path):
    """Exports written before November 2026 carry the old content hash; the same text is the
    same post, not a conflict, and its claims merge."""
    records = lines(dump())
    for r in records:
        r["content_hash"] = "0" * 64                # another formula's hash of the same content
    path = tmp_path / "old.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    report = import_native(path)
    db.session.commit()
    assert report.conflicts == [] and report.posts_unchanged == 5 and report.claims_merged == 4


@pytest.mark.parametrize("mutate, expected", [
    (lambda ls: ls.__setitem__(2, "{not json"), "line 3: not JSON"),
    (lambda ls: ls.__setitem__(1, "[1, 2]"), "line 2: not a JSON object"),
    (lambda ls: ls.__setitem__(3, ls[3].replace('"date":"', '"date":"x')), "line 4: date:"),
    (lambda ls: ls.__setitem__(4, ls[4].replace('"slug":', '"slugg":')), "line 5: (the line): Additional"),
    (lambda ls: ls.append(ls[0]), "line 6: post"),
    (lambda ls: ls.__setitem__(0, ls[0].replace('"start":', '"start":-', 1)), "line 1: claims[0].spans[0].start"),
])
def test_a_malformed_line_is_reported_and_nothing_changes(annotated, db, wipe, tmp_path, mutate, expected):
    ls = dump().splitlines()
    mutate(ls)
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(ls) + "\n", "utf-8")
    wipe()
    with pytest.raises(NativeImportError) as exc:
        import_native(path)
    db.session.rollback()
    assert str(exc.value).startswith(expected), str(exc.value)
    assert db.session.scalar(select(func.count(Post.id))) == 0


def test_a_span_that_does_not_match_its_text_rolls_back_everything(annotated, db, wipe, tmp_path):
    records = lines(dump())
    last = next(i for i in range(len(records) - 1, -1, -1) if records[i]["claims"])
    records[last]["claims"][0]["spans"][0]["exact"] = "words that are not there"
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    wipe()
    with pytest.raises(NativeImportError) as exc:
        import_native(path)
    db.session.rollback()
    assert f"line {last + 1}: claim" in str(exc.value) and "does not match" in str(exc.value)
    assert db.session.scalar(select(func.count(Post.id))) == 0


def address_in_last_comment(db):
    """The last comment gains an e-mail address (for the redaction tests); returns the comment."""
    from workbench.corpus.models import Comment
    comment = db.session.scalar(select(Comment).order_by(Comment.id.desc()))
    comment.text = comment.text + " Write to jo.bloggs+cr@probation.example.org now."
    db.session.commit()
    return comment


def test_options_omit_discussion_and_history_and_redact_emails(annotated, db):
    comment = address_in_last_comment(db)
    records = lines(dump(omit_discussion=True, omit_history=True, redact_emails=True))
    claim = records[0]["claims"][0]
    assert "discussion" not in claim and "history" not in claim
    texts = [c["text"] for r in records for c in r["comments"]]
    assert not any("jo.bloggs" in t for t in texts)
    redacted = next(t for t in texts if "now." in t and "@" in t)
    assert "************@*********************" in redacted
    assert len(redacted) == len(comment.text)   # offsets of spans stay valid


def test_two_current_verdicts_by_one_reviewer_are_refused(annotated, db, wipe, tmp_path):
    records = lines(dump())
    claim = next(c for r in records for c in r["claims"] if c["statement"] == "A disputed claim")
    for v in claim["verdicts"]:
        v["superseded_at"] = None
    number = next(i for i, r in enumerate(records, 1) if claim in r["claims"])
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    wipe()
    with pytest.raises(NativeImportError) as exc:
        import_native(path)
    db.session.rollback()
    assert str(exc.value) == f"line {number}: claim {claim['uid']}: two current verdicts by one reviewer"


def test_redacted_export_masks_the_address_in_a_span_history_too(annotated, db, login):
    """An address inside a quoted comment is masked in the span and in its history alike."""
    comment = address_in_last_comment(db)
    start = comment.text.index("Write to")
    exact = comment.text[start:]
    resp = login("reviewer").post("/api/v1/claims", json={
        "post_id": comment.post_id, "comment_id": comment.id, "start": start, "end": len(comment.text),
        "exact": exact, "statement": "Someone gave an address", "category": "other"})
    assert resp.status_code == 201, resp.get_json()
    db.session.commit()
    out = dump(redact_emails=True)
    assert "jo.bloggs" not in out and "probation.example.org" not in out
    claim = next(c for r in lines(out) for c in r["claims"] if c["statement"] == "Someone gave an address")
    span_event = next(e for e in claim["history"] if e["entity_type"] == "span")
    assert span_event["after"]["exact"] == claim["spans"][0]["exact"]
    assert "@" in claim["spans"][0]["exact"] and "*" in claim["spans"][0]["exact"]
    assert "jo.bloggs" in dump()   # without the option nothing is masked


# --- review tasks ---------------------------------------------------------------------------

def write(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def task(uid, kind, assignee, status="open", **extra):
    record = {"uid": uid, "kind": kind, "assignee": assignee, "created_by": "lena", "due_date": None,
              "priority": 2, "notes": "", "status": status, "version": 1,
              "created_at": "2030-01-01T00:00:00.000000Z", "updated_at": "2030-01-01T00:00:00.000000Z",
              "completed_at": None, "archived_at": None}
    record.update(extra)
    return record


def without_tasks(records):
    """The records as an export made before tasks were exported had them (a post's history keeps
    its annotate tasks' events only with the tasks)."""
    for r in records:
        r.pop("tasks", None)
        if "history" in r:
            r["history"] = [e for e in r["history"] if e["entity_type"] != "task"]
        for c in r["claims"]:
            c.pop("tasks", None)
    return records


def test_tasks_merge_by_uid_and_conflicts_are_reported_not_overwritten(annotated, db, tmp_path):
    records = lines(dump())
    claims = {c["statement"]: c for r in records for c in r["claims"]}
    disputed = claims["A disputed claim"]
    check, adjudicate = disputed["tasks"]
    check["notes"] = "Edited elsewhere"                                           # same uid, other content
    disputed["tasks"].append(task("a1" * 16, "check_claim", "olive"))             # new: added, olive created
    adjudicate["uid"] = "a2" * 16                               # another open adjudicate task for lena
    disputed["tasks"].append(task("a3" * 16, "adjudicate_claim", "lena", status="done",
                                  completed_at="2030-01-02T00:00:00.000000Z"))   # done: no clash, added
    reading = next(t for r in records for t in r["tasks"] if t["assignee"] == "rita")
    reading["status"] = "done"                                                    # post task differs
    owner = next(r for r in records if reading in r["tasks"])
    owner["tasks"].append(task("b1" * 16, "annotate_post", "rita"))               # rita has one open here
    owner["tasks"].append(task("b2" * 16, "annotate_post", "pat", due_date="2031-02-03"))   # new post task
    report = import_native(write(tmp_path / "theirs.jsonl", records))
    db.session.commit()
    assert report.tasks_added == 3 and sorted(report.users_created) == ["olive", "pat"]
    text = "\n".join(report.conflicts)
    assert len(report.conflicts) == 4, text
    assert f"claim {disputed['uid']}: task {check['uid']} differs from the stored one; kept the stored one" in text
    assert f"task {'a2' * 16}: lena already has an open adjudicate_claim task for it here" in text
    assert f"post {owner['slug']}: task {reading['uid']} differs from the stored one; kept the stored one" in text
    assert f"post {owner['slug']}: task {'b1' * 16}: rita already has an open annotate_post task" in text
    assert all(c.startswith("line ") for c in report.conflicts)
    stored = {t.uid: t for t in db.session.scalars(select(Task))}
    assert stored[check["uid"]].notes != "Edited elsewhere" and stored[reading["uid"]].status.value == "in_progress"
    assert "a2" * 16 not in stored and "b1" * 16 not in stored
    assert stored["a1" * 16].claim_id == annotated["disputed"] and stored["a1" * 16].post_id is not None
    assert stored["b2" * 16].claim_id is None and stored["b2" * 16].due_date.isoformat() == "2031-02-03"
    after = lines(dump())
    assert {t["uid"] for r in after for c in r["claims"] for t in c["tasks"]} >= {"a1" * 16, "a3" * 16}
    mine = {c["statement"]: c for r in after for c in r["claims"]}["A disputed claim"]["tasks"]
    assert next(t for t in mine if t["uid"] == "a1" * 16) == task("a1" * 16, "check_claim", "olive")
    # and once more: everything is there now, only the same four differences remain
    again = import_native(tmp_path / "theirs.jsonl")
    assert again.tasks_added == 0 and len(again.conflicts) == 4


def test_a_task_uid_stored_elsewhere_is_skipped(annotated, db, tmp_path):
    records = lines(dump())
    claims = {c["statement"]: c for r in records for c in r["claims"]}
    moved = claims["Seen twice"]["tasks"].pop()
    claims["A claim in a comment"]["tasks"].append(moved)
    report = import_native(write(tmp_path / "moved.jsonl", records))
    assert report.tasks_added == 0
    assert any(f"{moved['uid']} belongs to another claim in this workbench; skipped" in c for c in report.conflicts)
    assert db.session.scalar(select(Task.claim_id).where(Task.uid == moved["uid"])) == annotated["two_posts"]


def _move_claim_task_to_post(records):
    claim = next(c for r in records for c in r["claims"] if c["tasks"])
    line = next(r for r in records if claim in r["claims"])
    line["tasks"].append(claim["tasks"].pop())
    return records.index(line) + 1, f"tasks[{len(line['tasks']) - 1}].kind: {line['tasks'][-1]['kind']} is a claim's task"


def _move_post_task_to_claim(records):
    line = next(r for r in records if r["tasks"])
    line["claims"][0]["tasks"].append(line["tasks"].pop())
    return records.index(line) + 1, "].kind: an annotate_post task is about the post"


def _task_uid_twice(records):
    claim = next(c for r in records for c in r["claims"] if c["tasks"])
    line = next(r for r in records if r["tasks"])
    line["tasks"][0]["uid"] = claim["tasks"][0]["uid"]
    return max(records.index(line), next(i for i, r in enumerate(records) if claim in r["claims"])) + 1, "uid "


def _two_open_checks(records):
    claim = next(c for r in records for c in r["claims"] if c["tasks"])
    claim["tasks"].append(task("c1" * 16, "check_claim", "ravi"))
    claim["tasks"].append(task("c2" * 16, "check_claim", "ravi", status="in_progress"))
    return next(i for i, r in enumerate(records) if claim in r["claims"]) + 1, \
        f"claim {claim['uid']}: two open tasks of one kind for one person"


def _bad_priority(records):
    line = next(r for r in records if r["tasks"])
    line["tasks"][0]["priority"] = 7
    return records.index(line) + 1, "tasks[0].priority"


@pytest.mark.parametrize("mutate", [_move_claim_task_to_post, _move_post_task_to_claim, _task_uid_twice,
                                    _two_open_checks, _bad_priority])
def test_a_task_that_does_not_fit_is_a_line_numbered_error_and_nothing_is_imported(
        annotated, db, wipe, tmp_path, mutate):
    """A task stands where what it is about stands: a check or adjudicate task with no claim (on
    a post's line), or an annotate task inside a claim, is refused like any malformed line."""
    records = lines(dump())
    number, expected = mutate(records)
    path = write(tmp_path / "bad.jsonl", records)
    wipe()
    with pytest.raises(NativeImportError) as exc:
        import_native(path)
    db.session.rollback()
    assert str(exc.value).startswith(f"line {number}: "), str(exc.value)
    assert expected in str(exc.value), str(exc.value)
    assert db.session.scalar(select(func.count(Post.id))) == 0
    assert db.session.scalar(select(func.count(Task.id))) == 0


def test_omitting_tasks_gives_the_export_as_it_was_before_tasks(annotated):
    full = lines(dump())
    omitted = dump(omit_tasks=True)
    assert '"tasks"' not in omitted
    assert omitted == "".join(native_dumps(r) for r in without_tasks(full))


def native_dumps(record):
    from workbench.exports.native import dumps
    return dumps(record)


def test_an_export_without_tasks_still_imports(annotated, db, wipe, tmp_path):
    """Files written before tasks were exported: restored whole (tasks aside), and merged into
    a workbench that has the tasks without adding anything twice (their history events did not
    name the task: they are the stored events all the same)."""
    old = without_tasks(lines(dump()))
    for r in old:
        for c in r["claims"]:
            for e in c["history"]:
                if e["entity_type"] == "task":
                    e["entity"] = None
    path = write(tmp_path / "old.jsonl", old)
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    report = import_native(path)
    db.session.commit()
    assert report.conflicts == [] and report.claims_merged == 4 and report.tasks_added == 0
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events + 1
    wipe()
    report = import_native(path)
    db.session.commit()
    assert report.conflicts == [] and report.claims_added == 4 and report.tasks_added == 0
    assert db.session.scalar(select(func.count(Task.id))) == 0
    assert lines(dump(omit_tasks=True)) == old


def test_filters_take_a_claims_tasks_with_it(annotated):
    everything = lines(dump())
    disputed = lines(dump(status="disputed"))
    assert [c["statement"] for r in disputed for c in r["claims"]] == ["A disputed claim"]
    assert [t["kind"] for r in disputed for c in r["claims"] for t in c["tasks"]] == ["check_claim", "adjudicate_claim"]
    adjudicated = lines(dump(only_adjudicated=True))
    assert [t for r in adjudicated for c in r["claims"] for t in c["tasks"]] == []   # the disputed claim's went
    # the post stays for its adjudicated claim, and its annotate task with it; the others' went with them
    assert [(r["slug"], [t["assignee"] for t in r["tasks"]]) for r in adjudicated] == \
        [(everything[0]["slug"], ["tess"])]
    day = date.fromisoformat(next(r["date"] for r in everything if any(t["assignee"] == "rita" for t in r["tasks"])))
    assert [t["assignee"] for r in lines(dump(date_from=day, date_to=day)) for t in r["tasks"]] == ["rita"]
    last = lines(dump(date_from=date.fromisoformat(everything[-1]["date"])))
    assert last and day.isoformat() < last[0]["date"] and [t for r in last for t in r["tasks"]] == []


def test_a_viewer_who_does_not_assign_gets_only_their_own_tasks(annotated):
    rita, ravi, lena = annotated["users"]

    def tasks_for(viewer):
        text = "".join(export(viewer, "jsonl", ExportOptions(), base="https://wb.example"))
        return sorted((t["assignee"], t["kind"]) for r in lines(text) for t in
                      r["tasks"] + [t for c in r["claims"] for t in c["tasks"]])
    assert tasks_for(lena) == tasks_for(None) and len(tasks_for(None)) == 5
    assert tasks_for(rita) == [("rita", "annotate_post")]
    assert tasks_for(ravi) == [("ravi", "check_claim"), ("ravi", "check_claim")]
