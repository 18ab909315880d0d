"""The native JSON Lines export: schema, stable bytes, round trip, merge, malformed lines."""
import json

import pytest
from sqlalchemy import func, select

from workbench.annotations.models import Claim, Verdict
from workbench.audit import AuditEvent
from workbench.corpus.models import Post
from workbench.exports.filters import ExportOptions
from workbench.exports.importer import NativeImportError, import_native, validator
from workbench.exports.services import export


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


def test_same_data_same_bytes(annotated):
    assert dump() == dump()


def test_round_trip_into_an_empty_database_is_byte_identical(annotated, db, wipe, tmp_path):
    before = dump()
    path = tmp_path / "backup.jsonl"
    path.write_text(before, "utf-8")
    wipe()
    assert db.session.scalar(select(func.count(Post.id))) == 0
    report = import_native(path)
    db.session.commit()
    assert report.conflicts == [] and report.posts_added == 5 and report.claims_added == 4
    assert sorted(report.users_created) == ["lena", "ravi", "rita"]
    assert dump() == before
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
    assert report.parts_added == 0
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
    records[0]["claims"][0]["uid"] = "a" * 32
    path = tmp_path / "changed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    report = import_native(path)
    assert any("stored text differs" in c and "line 1" in c for c in report.conflicts)
    assert db.session.scalar(select(Claim.id).where(Claim.uid == "a" * 32)) is None


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
