"""Suggestions for one post (body and comments), minus dismissed ones and spans already claimed;
accepting one creates a claim with its figure, dismissing one remembers it."""
from sqlalchemy import select

from .. import audit
from ..annotations import services as claim_services
from ..annotations.models import Category, Claim, ClaimSpan
from ..corpus.queries import get_post, post_comments
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..permissions import Permission, require
from ..settings import get_flag
from .figures import Figure, parse_figures
from .models import ClaimFigure, SuggestionDismissal
from .suggestions import suggest

# A first guess at the category from the words of the sentence; the reviewer can change it.
_CATEGORY_WORDS = [("reoffending", ("reoffend", "re-offend", "recidiv")),
                   ("inspection ratings", ("inspect", "rated", "rating", "inadequate", "outstanding")),
                   ("staffing and caseloads", ("staff", "caseload", "officer", "workload", "vacanc")),
                   ("CRC finances", ("crc", "loss", "losses", "profit", "bail", "compensat")),
                   ("funding and contracts", ("contract", "fund", "budget", "£", "tender"))]


def _overlaps(a_start, a_end, spans) -> bool:
    return any(s < a_end and a_start < e for s, e in spans)


def post_suggestions(viewer, post_id: int) -> dict:
    """{"items": [...], "hidden": bool} for the reading page and the API."""
    require(viewer, Permission.READ)
    post = get_post(post_id)
    if not get_flag("show_suggestions"):
        return {"items": [], "hidden": True}
    dismissed = {(d.comment_id, d.start, d.end) for d in db.session.scalars(
        select(SuggestionDismissal).where(SuggestionDismissal.post_id == post_id))}
    claimed: dict = {}
    for comment_id, start, end in db.session.execute(
            select(ClaimSpan.comment_id, ClaimSpan.start, ClaimSpan.end).join(Claim, Claim.id == ClaimSpan.claim_id)
            .where(ClaimSpan.post_id == post_id, ClaimSpan.retracted_at.is_(None), Claim.retracted_at.is_(None))):
        claimed.setdefault(comment_id, []).append((start, end))
    items = []
    for comment_id, text in [(None, post.body)] + [(c.id, c.text) for c in post_comments(post_id)]:
        for s in suggest(text):
            if (comment_id, s.start, s.end) in dismissed or _overlaps(s.start, s.end, claimed.get(comment_id, [])):
                continue
            items.append(s.json(comment_id))
    return {"items": items, "hidden": False}


def _unit_key(data: dict) -> tuple:
    comment_id = data.get("comment_id")
    if comment_id is not None and (isinstance(comment_id, bool) or not isinstance(comment_id, int)):
        raise ValidationError("comment_id must be a whole number or null.", field="comment_id")
    for name in ("start", "end"):
        if isinstance(data.get(name), bool) or not isinstance(data.get(name), int):
            raise ValidationError(f"{name} (a code-point offset) is required.", field=name)
    if not isinstance(data.get("exact"), str):
        raise ValidationError("exact (the sentence) is required.", field="exact")
    return comment_id, data["start"], data["end"]


def guess_category(sentence: str) -> str:
    low = sentence.lower()
    names = set(db.session.scalars(select(Category.name).where(Category.archived_at.is_(None))))
    for name, words in _CATEGORY_WORDS:
        if name in names and any(w in low for w in words):
            return name
    return "other" if "other" in names else sorted(names)[0]


def record_figure(claim: Claim, figure: Figure | None) -> ClaimFigure | None:
    if figure is None:
        return None
    row = ClaimFigure(claim_id=claim.id, value=figure.value, unit=figure.unit, period=figure.period, raw=figure.raw)
    db.session.add(row)
    db.session.flush()
    return row


def accept(viewer, post_id: int, data: dict) -> tuple[Claim, Figure | None]:
    """Make the suggested sentence a claim on exactly that span, with its figure parsed."""
    require(viewer, Permission.ANNOTATE)
    get_post(post_id)
    comment_id, start, end = _unit_key(data)
    taken = db.session.scalar(select(ClaimSpan.claim_id).join(Claim, Claim.id == ClaimSpan.claim_id).where(
        ClaimSpan.post_id == post_id, ClaimSpan.start == start, ClaimSpan.end == end,
        ClaimSpan.retracted_at.is_(None), Claim.retracted_at.is_(None),
        ClaimSpan.comment_id.is_(None) if comment_id is None else ClaimSpan.comment_id == comment_id))
    if taken is not None:
        raise Conflict(f"This sentence is already claim {taken}.", claim_id=taken)
    exact = data["exact"]
    statement = data.get("statement") if isinstance(data.get("statement"), str) and data["statement"].strip() else exact
    claim = claim_services.create_claim(viewer, {
        "post_id": post_id, "comment_id": data.get("comment_id"), "start": data["start"], "end": data["end"],
        "exact": exact, "statement": statement, "category": data.get("category") or guess_category(exact)})
    figures = parse_figures(exact)
    figure = figures[0] if figures else None
    record_figure(claim, figure)
    audit.record(viewer, "claim", claim.id, "accept_suggestion", claim_id=claim.id,
                 after={"figure": figure.json() if figure else None})
    return claim, figure


def dismiss(viewer, post_id: int, data: dict) -> SuggestionDismissal:
    """Remember that this sentence is not worth a claim, for everybody, so it is not shown again."""
    require(viewer, Permission.ANNOTATE)
    get_post(post_id)
    comment_id, start, end = _unit_key(data)
    from ..annotations.spans import check_span, unit_text
    check_span(unit_text(post_id, comment_id), start, end, data["exact"])
    existing = db.session.scalar(select(SuggestionDismissal).where(
        SuggestionDismissal.post_id == post_id, SuggestionDismissal.start == start, SuggestionDismissal.end == end,
        SuggestionDismissal.comment_id.is_(None) if comment_id is None else SuggestionDismissal.comment_id == comment_id))
    if existing is not None:
        raise Conflict("This suggestion was already dismissed.")
    reason = data.get("reason") if isinstance(data.get("reason"), str) else ""
    row = SuggestionDismissal(post_id=post_id, comment_id=comment_id, start=start, end=end, exact=data["exact"],
                              reason=reason[:2000], dismissed_by_id=viewer.id)
    db.session.add(row)
    db.session.flush()
    audit.record(viewer, "suggestion", row.id, "dismiss", reason=reason or None,
                 after={"post_id": post_id, "comment_id": comment_id, "start": start, "end": end})
    return row
