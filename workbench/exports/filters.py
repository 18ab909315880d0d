"""What an export includes: filters on posts and claims, and options that trim or redact."""
import re
from dataclasses import dataclass
from datetime import date

from ..annotations.status import Status
from ..errors import ValidationError

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class ExportOptions:
    date_from: date | None = None
    date_to: date | None = None
    category: str | None = None
    status: str | None = None
    reviewer: str | None = None          # username: claims this reviewer gave a current verdict on
    only_adjudicated: bool = False
    omit_discussion: bool = False
    omit_history: bool = False
    omit_tasks: bool = False             # the review tasks (assignments), native format only
    redact_emails: bool = False

    @property
    def filters_claims(self) -> bool:
        """With a claim filter on, posts without a matching claim are left out."""
        return bool(self.category or self.status or self.reviewer or self.only_adjudicated)


def _date(value, field):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"{field} must be a date like 2016-03-31.", field=field)


def _bool(value) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes", "on")


def parse_options(data) -> ExportOptions:
    """From a form, a query string, a JSON body or CLI options (all plain mappings)."""
    get = data.get
    status = (get("status") or "").strip() or None
    if status and status not in {s.value for s in Status}:
        raise ValidationError(f"Unknown status {status!r}; choose one of: "
                              + ", ".join(s.value for s in Status) + ".", field="status")
    opts = ExportOptions(
        date_from=_date(get("date_from"), "date_from"), date_to=_date(get("date_to"), "date_to"),
        category=(get("category") or "").strip() or None, status=status,
        reviewer=(get("reviewer") or "").strip() or None,
        only_adjudicated=_bool(get("only_adjudicated")), omit_discussion=_bool(get("omit_discussion")),
        omit_history=_bool(get("omit_history")), omit_tasks=_bool(get("omit_tasks")),
        redact_emails=_bool(get("redact_emails")))
    if opts.date_from and opts.date_to and opts.date_from > opts.date_to:
        raise ValidationError("The date range ends before it starts.", field="date_to")
    return opts


def redact(text: str) -> str:
    """Masks e-mail addresses character for character, so code-point offsets stay valid."""
    return EMAIL.sub(lambda m: "".join("@" if ch == "@" else "*" for ch in m.group(0)), text)
