"""Export: the chosen format written over the loader's batches, as a stream of text chunks."""
import re
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Callable, Iterator

from flask import current_app

from ..errors import ValidationError
from ..permissions import Permission, require
from . import claimreview, native, spreadsheet, w3c
from .filters import ExportOptions
from .loader import iter_posts


@dataclass(frozen=True)
class Format:
    key: str
    label: str
    module: ModuleType

    @property
    def media_type(self) -> str:
        return self.module.MEDIA_TYPE

    @property
    def extension(self) -> str:
        return self.module.EXTENSION


FORMATS = {f.key: f for f in (
    Format("jsonl", "Native JSON Lines (backup, re-import)", native),
    Format("w3c", "W3C Web Annotation (JSON-LD)", w3c),
    Format("claimreview", "schema.org ClaimReview (JSON-LD)", claimreview),
    Format("csv", "CSV for spreadsheets", spreadsheet),
)}


def get_format(key: str) -> Format:
    if key not in FORMATS:
        raise ValidationError(f"Unknown format {key!r}; choose one of: {', '.join(FORMATS)}.", field="format")
    return FORMATS[key]


def base_url(explicit: str | None = None) -> str:
    """Where the workbench is reachable: --base-url, else EXPORT_BASE_URL, else the request's host."""
    url = explicit or current_app.config.get("EXPORT_BASE_URL") or ""
    if not url:
        from flask import has_request_context, request
        url = request.host_url if has_request_context() else "http://localhost:5000"
    return url.rstrip("/")


def filename(fmt: Format, options: ExportOptions) -> str:
    parts = ["workbench"]
    if options.date_from or options.date_to:
        parts.append(f"{options.date_from or ''}--{options.date_to or ''}")
    if options.status:
        parts.append(options.status)
    if options.only_adjudicated:
        parts.append("adjudicated")
    if options.category:
        parts.append(re.sub(r"[^A-Za-z0-9]+", "-", options.category).strip("-").lower())
    return "-".join(parts) + "." + fmt.extension


def export(actor, fmt_key: str, options: ExportOptions, *, base: str | None = None,
           progress: Callable[[int], None] | None = None) -> Iterator[str]:
    """Text chunks of the export. actor None is the command line (an operator, sees everything)."""
    if actor is not None:
        require(actor, Permission.EXPORT)
    fmt = get_format(fmt_key)
    needs = fmt.module.NEEDS
    # Read only what the format writes: the loader skips the thread, the discussion and the
    # history (the bulk of the rows), and the tasks, for the formats that never look at them.
    reading = replace(options, omit_discussion=options.omit_discussion or "discussion" not in needs,
                      omit_history=options.omit_history or "history" not in needs,
                      omit_tasks=options.omit_tasks or "tasks" not in needs)
    posts = iter_posts(reading, actor, private="private" in needs, thread="thread" in needs)
    if progress:
        posts = _counting(posts, progress)
    return fmt.module.write(posts, base_url(base))


def _counting(posts, progress):
    n = 0
    for post in posts:
        yield post
        n += 1
        progress(n)


def form_choices() -> dict:
    """What the export page offers: formats, categories, statuses and reviewers, in a fixed order."""
    from sqlalchemy import select

    from ..annotations.models import Category, Verdict
    from ..annotations.status import Status
    from ..auth.models import User
    from ..extensions import db
    reviewers = db.session.scalars(select(User.username).where(User.id.in_(select(Verdict.reviewer_id)))
                                   .order_by(User.username)).all()
    return {"formats": list(FORMATS.values()),
            "categories": db.session.scalars(select(Category.name).order_by(Category.position, Category.name)).all(),
            "statuses": list(Status), "reviewers": reviewers}
