"""Import an upload with the command line's own services, all or nothing.

Dump files go through corpus.services.import_paths, a native export through
exports.importer.import_native: there is no second importer. The upload is staged in a
temporary folder (uploads.py), imported in the caller's transaction, and the outcome says
whether the caller may commit: if any file failed (a malformed dump, a post whose stored text
changed, a malformed line of a native export) nothing is kept, and the outcome says which
file, which line and why. A native merge's conflicts do not fail it (the stored rows are kept,
as on the command line); they are listed. Services flush, views commit.
"""
import dataclasses
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from .. import audit
from ..extensions import db
from .history import NAMES_KEPT
from .uploads import Staged, Upload, stage

LINE_RE = re.compile(r"^line (\d+): (.*)$", re.S)
DUMP_STATUSES = ("imported", "extended", "corrected", "unchanged", "changed", "error")


@dataclass
class FileRow:
    name: str                       # as uploaded: "a.txt", or "batch.zip/2019/a.txt"
    status: str                     # imported | extended | corrected | unchanged | changed | error | merged | not_imported
    message: str = ""
    comments: int = 0               # comments added
    line: int | None = None         # where the error is, for status error
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Outcome:
    kind: str                                   # "dumps" or "native"
    ok: bool                                    # False: nothing was imported (the caller rolls back)
    summary: str
    files: list[FileRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)    # archive entries left out, users created, …

    @property
    def failures(self) -> list[FileRow]:
        return [f for f in self.files if f.status in ("error", "changed")]

    def as_json(self) -> dict:
        return {"kind": self.kind, "imported": self.ok, "summary": self.summary, "counts": self.counts,
                "files": [f.as_json() for f in self.files], "conflicts": self.conflicts, "notes": self.notes}


def import_upload(actor, uploads: list[Upload], accept_changes: bool = False) -> Outcome:
    """Stage and import the upload in the session's transaction. Refusals of the upload itself
    (no file, wrong type, mixed kinds, unsafe or oversized archive) raise WorkbenchError (4xx).
    accept_changes: dump files may correct stored posts (corpus.services.import_paths)."""
    config = current_app.config
    with tempfile.TemporaryDirectory(prefix="workbench-import-") as tmp:
        staged = stage(uploads, Path(tmp), max_unpacked=config["IMPORT_MAX_UNPACKED_BYTES"],
                       max_members=config["IMPORT_MAX_ARCHIVE_FILES"])
        outcome = _native(staged) if staged.kind == "native" else _dumps(staged, tmp, accept_changes, actor)
    outcome.notes[:0] = staged.notes
    if outcome.ok:
        names = [f.name for f in outcome.files]
        audit.record(actor, "import", 0, "upload", after={   # listed on the page: imports/history.py
            "kind": outcome.kind, "files": names[:NAMES_KEPT], "file_count": len(names), "summary": outcome.summary})
        db.session.flush()
    return outcome


def _clean(text: str, tmp: str, names: dict[str, str]) -> str:
    """Messages name the uploaded files, never the temporary folder."""
    for path, name in names.items():
        text = text.replace(path, name)
    return text.replace(tmp, "(upload)")


def _dumps(staged: Staged, tmp: str, accept_changes: bool = False, actor=None) -> Outcome:
    from ..corpus.services import import_paths
    names = staged.display()
    report = import_paths([path for path, _ in staged.files], accept_changes=accept_changes, actor=actor)
    rows = []
    for r in report.results:
        row = FileRow(names.get(r.filename, Path(r.filename).name), r.status, _clean(r.message, tmp, names),
                      r.comments, warnings=[_clean(w, tmp, names) for w in r.warnings])
        m = LINE_RE.match(row.message) if r.status == "error" else None
        if m:
            row.line, row.message = int(m.group(1)), m.group(2)
        rows.append(row)
    counts = {s: report.count(s) for s in DUMP_STATUSES}
    counts["comments_added"] = report.comments_imported
    if not report.failed:
        return Outcome("dumps", True, report.summary(), rows, counts)
    bad = [r for r in rows if r.status in ("error", "changed")]
    for row in rows:
        if row.status not in ("error", "changed"):
            would = f"{row.status}, {row.comments} comments" if row.comments else row.status
            row.message = f"fine, but not imported because another file failed (it would have been: {would})"
            row.status, row.comments = "not_imported", 0
    counts = {"files": len(rows), "failed": len(bad), "not_imported": len(rows), "comments_added": 0}
    summary = (f"{len(bad)} of {len(rows)} file{'s' if len(rows) != 1 else ''} could not be imported, so "
               "nothing was imported: correct or leave out the files marked below and upload again.")
    return Outcome("dumps", False, summary, rows, counts)


def _native(staged: Staged) -> Outcome:
    from ..exports.importer import NativeImportError, import_native
    (path, name), = staged.files
    try:
        report = import_native(path)
    except NativeImportError as exc:
        row = FileRow(name, "error", exc.reason, line=exc.line)
        return Outcome("native", False, f"{name} could not be imported (line {exc.line}); nothing was imported.",
                       [row], {"files": 1, "failed": 1})
    counts = {f.name: getattr(report, f.name) for f in dataclasses.fields(report)
              if isinstance(getattr(report, f.name), int)}
    counts["conflicts"] = len(report.conflicts)
    notes = [f"created the inactive user {u} (an admin can activate it)" for u in report.users_created]
    notes += [f"created the category {c}" for c in report.categories_created]
    status = "merged" if report.conflicts else "imported"
    row = FileRow(name, status, report.summary(), warnings=list(notes))
    return Outcome("native", True, report.summary(), [row], counts, list(report.conflicts))
