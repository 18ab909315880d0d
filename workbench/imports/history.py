"""Recent imports, for the Import page: every import that changed the corpus, from the page or
the command line, as the audit log holds it (entity "import"; nothing else is stored)."""
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..audit import AuditEvent
from ..extensions import db

NAMES_KEPT = 100   # file names kept per event; the count is always whole
WRITTEN = ("imported", "extended", "corrected")


def record_command_import(report) -> None:
    """A `workbench import` of dump files that imported, extended or corrected a post. The files
    that changed nothing are left out, as a failed upload is: the list is of changes."""
    changed = [Path(r.filename).name for r in report.results if r.status in WRITTEN]
    if changed:
        audit.record(None, "import", 0, "command", after={
            "kind": "dumps", "files": changed[:NAMES_KEPT], "file_count": len(changed),
            "summary": report.summary()})


@dataclass
class PastImport:
    at: datetime
    who: str                 # a user's name, or "command line"
    kind: str                # dumps | native
    summary: str
    files: list[str]
    file_count: int


def recent_imports(limit: int = 20) -> list[PastImport]:
    """The newest imports first (one query, with their users)."""
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "import")
                                .options(selectinload(AuditEvent.actor))
                                .order_by(AuditEvent.id.desc()).limit(limit))
    out = []
    for e in events:
        data = e.after_data or {}
        files = [str(f) for f in data.get("files") or []]
        who = e.actor.name if e.actor else "command line"
        out.append(PastImport(e.at, who, str(data.get("kind") or "dumps"), str(data.get("summary") or ""),
                              files[:NAMES_KEPT], int(data.get("file_count") or len(files))))
    return out
