"""Shape checks for JSON input about claims: types, lengths and enums. Invariants that need
the database (the span matches its text) are the services' job."""
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from ..errors import ValidationError
from .models import Rating, Stance

MAX_STATEMENT = 2000
MAX_TEXT = 20000


def _str(data: dict, key: str, *, required=False, max_len=MAX_TEXT, field=None) -> str | None:
    field = field or key
    value = data.get(key)
    if value is None:
        if required:
            raise ValidationError(f"{field} is required.", field=field)
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string.", field=field)
    if required and not value.strip():
        raise ValidationError(f"{field} must not be empty.", field=field)
    if len(value) > max_len:
        raise ValidationError(f"{field} is longer than {max_len} characters.", field=field)
    return value


def _int(data: dict, key: str, *, required=False, nullable=False, field=None) -> int | None:
    field = field or key
    value = data.get(key)
    if value is None:
        if required and not nullable:
            raise ValidationError(f"{field} is required.", field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be a whole number.", field=field)
    if not -2**31 < value < 2**31:
        raise ValidationError(f"{field} is out of range.", field=field)
    return value


@dataclass
class SpanIn:
    post_id: int
    comment_id: int | None
    start: int
    end: int
    exact: str
    prefix: str | None
    suffix: str | None


@dataclass
class SourceIn:
    url: str
    title: str
    publisher: str
    quote: str
    locator: str
    stance: Stance
    accessed: date | None


@dataclass
class VerdictIn:
    rating: Rating
    rationale: str


def parse_span(data: dict) -> SpanIn:
    return SpanIn(
        post_id=_int(data, "post_id", required=True),
        comment_id=_int(data, "comment_id", nullable=True),
        start=_int(data, "start", required=True), end=_int(data, "end", required=True),
        exact=_str(data, "exact", required=True),
        prefix=_str(data, "prefix", max_len=200), suffix=_str(data, "suffix", max_len=200))


def check_url(url: str, field: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValidationError("A source URL must start with http:// or https:// and name a host.", field=field)
    return url.strip()


def parse_source(data, field: str = "sources") -> SourceIn:
    if not isinstance(data, dict):
        raise ValidationError("A source must be an object.", field=field)
    url = check_url(_str(data, "url", required=True, max_len=2000, field=f"{field}.url"), f"{field}.url")
    stance_raw = data.get("stance") or "context"
    try:
        stance = Stance(stance_raw)
    except ValueError:
        raise ValidationError("stance is one of supports, refutes, context.", field=f"{field}.stance")
    accessed_raw = _str(data, "accessed", max_len=10, field=f"{field}.accessed")
    accessed = None
    if accessed_raw:
        try:
            accessed = date.fromisoformat(accessed_raw)
        except ValueError:
            raise ValidationError("accessed is a date as YYYY-MM-DD.", field=f"{field}.accessed")
    return SourceIn(url=url,
                    title=(_str(data, "title", max_len=1000, field=f"{field}.title") or "").strip(),
                    publisher=(_str(data, "publisher", max_len=500, field=f"{field}.publisher") or "").strip(),
                    quote=_str(data, "quote", field=f"{field}.quote") or "",
                    locator=(_str(data, "locator", max_len=500, field=f"{field}.locator") or "").strip(),
                    stance=stance, accessed=accessed)


def parse_verdict(data, field: str = "verdict") -> VerdictIn:
    if not isinstance(data, dict):
        raise ValidationError("A verdict must be an object.", field=field)
    try:
        rating = Rating(data.get("rating"))
    except ValueError:
        raise ValidationError("rating is one of " + ", ".join(r.value for r in Rating) + ".",
                              field=f"{field}.rating" if field else "rating")
    rationale = _str(data, "rationale", field=f"{field}.rationale" if field else "rationale") or ""
    return VerdictIn(rating, rationale.strip())


def parse_statement(data: dict, required=True) -> str | None:
    value = _str(data, "statement", required=required, max_len=MAX_STATEMENT)
    return None if value is None else " ".join(value.split())


def parse_category(data: dict, required=True):
    value = data.get("category")
    if value is None:
        if required:
            raise ValidationError("category is required.", field="category")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationError("category is a category name or id.", field="category")
    return value


def parse_list(data: dict, key: str, max_items: int = 50) -> list:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError(f"{key} must be a list.", field=key)
    if len(value) > max_items:
        raise ValidationError(f"At most {max_items} {key} at once.", field=key)
    return value
