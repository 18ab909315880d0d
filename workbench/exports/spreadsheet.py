"""CSV of claims for spreadsheets, one row per claim, safe to open in Excel or LibreOffice.

A cell that starts with = + - @ a tab or a carriage return would be run as a formula by a
spreadsheet (CSV injection), so it gets a leading apostrophe, which they show as text.
"""
import csv
import io
from typing import Iterable, Iterator

from ..annotations.models import Rating

MEDIA_TYPE = "text/csv"   # Flask adds the charset
EXTENSION = "csv"
NEEDS = frozenset(())   # from the loader: nothing beyond the claims; see native.NEEDS
COLUMNS = ["post", "post_date", "post_title", "location", "quote", "statement", "category", "status",
           "verdicts", "final_verdict", "source_urls", "claim_uid"]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS) else text


def row(claim: dict, post: dict) -> list[str] | None:
    if claim["retracted_at"] is not None:
        return None
    spans = [s for s in claim["spans"] if s["retracted_at"] is None]
    current = [v for v in claim["verdicts"] if v["superseded_at"] is None]
    live = [a for a in claim["adjudications"] if a["reopened_at"] is None]
    final = live[-1]["rating"] if live else (current[0]["rating"] if claim["status"] == "agreed" else None)
    locations = ["body" if s["comment"] is None else f"comment {s['comment']}" for s in spans]
    locations = [loc if s["post"] == post["slug"] else f"{s['post']} {loc}" for s, loc in zip(spans, locations)]
    values = [post["slug"], post["date"], post["title"], "; ".join(locations),
              " | ".join(s["exact"] for s in spans), claim["statement"], claim["category"], claim["status"],
              "; ".join(f"{v['reviewer']}: {Rating(v['rating']).label}" for v in current),
              Rating(final).label if final else "",
              "\n".join(s["url"] for s in claim["sources"] if s["retracted_at"] is None), claim["uid"]]
    return [safe(v) for v in values]


def _line(values) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(values)
    return buf.getvalue()


def write(posts: Iterable[dict], base_url: str = "") -> Iterator[str]:
    yield "\ufeff" + _line(COLUMNS)   # the byte-order mark tells Excel the file is UTF-8
    for post in posts:
        for claim in post["claims"]:
            values = row(claim, post)
            if values is not None:
                yield _line(values)
