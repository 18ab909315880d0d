"""Operations on claims, their spans, sources and verdicts.

Each operation checks permission, checks the invariant, changes rows, writes an audit event
and flushes; the caller (a view or a command) commits once. Nothing is deleted.
"""
from sqlalchemy import select

from .. import audit
from ..db import utcnow
from ..errors import Conflict, NotFound, ValidationError
from ..extensions import db
from ..permissions import Permission, can, require
from ..versioning import check_version, save_versioned
from . import schemas
from .models import Category, Claim, ClaimSpan, Source, Verdict
from .spans import check_span, unit_text


def claim_snapshot(claim: Claim) -> dict:
    return {"statement": claim.statement, "category": claim.category.name if claim.category else None,
            "version": claim.version, "retracted": claim.retracted_at is not None}


def source_snapshot(s: Source) -> dict:
    return {"url": s.url, "title": s.title, "publisher": s.publisher, "quote": s.quote,
            "locator": s.locator, "stance": s.stance.value,
            "accessed": s.accessed.isoformat() if s.accessed else None,
            "retracted": s.retracted_at is not None}


def resolve_category(value) -> Category:
    stmt = select(Category).where(Category.archived_at.is_(None))
    if isinstance(value, int):
        cat = db.session.scalar(stmt.where(Category.id == value))
    else:
        cat = db.session.scalar(stmt.where(Category.name == value.strip()))
    if cat is None:
        names = ", ".join(db.session.scalars(select(Category.name).where(Category.archived_at.is_(None))
                                              .order_by(Category.position)))
        raise ValidationError(f"Unknown category {value!r}; choose one of: {names}.", field="category")
    return cat


def get_claim(claim_id: int, viewer=None) -> Claim:
    claim = db.session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"No claim {claim_id}.")
    if claim.retracted_at is not None and viewer is not None and not can(viewer, Permission.EDIT_ANY_CLAIM, claim):
        raise NotFound(f"Claim {claim_id} was retracted.")
    return claim


def add_span(actor, claim: Claim, span: schemas.SpanIn) -> ClaimSpan:
    text = unit_text(span.post_id, span.comment_id)
    prefix, suffix = check_span(text, span.start, span.end, span.exact, span.prefix, span.suffix)
    duplicate = db.session.scalar(select(ClaimSpan.id).where(
        ClaimSpan.claim_id == claim.id, ClaimSpan.post_id == span.post_id,
        ClaimSpan.comment_id.is_(None) if span.comment_id is None else ClaimSpan.comment_id == span.comment_id,
        ClaimSpan.start == span.start, ClaimSpan.end == span.end, ClaimSpan.retracted_at.is_(None))) \
        if claim.id else None
    if duplicate:
        raise Conflict("This claim already appears at exactly this span.", field="start")
    row = ClaimSpan(claim=claim, post_id=span.post_id, comment_id=span.comment_id, start=span.start,
                    end=span.end, exact=span.exact, prefix=prefix, suffix=suffix, created_by_id=actor.id)
    db.session.add(row)
    return row


def create_claim(actor, data: dict) -> Claim:
    require(actor, Permission.ANNOTATE)
    span = schemas.parse_span(data)
    statement = schemas.parse_statement(data)
    category = resolve_category(schemas.parse_category(data))
    sources = [schemas.parse_source(s, f"sources[{i}]") for i, s in enumerate(schemas.parse_list(data, "sources"))]
    verdict = schemas.parse_verdict(data["verdict"]) if data.get("verdict") is not None else None
    claim = Claim(post_id=span.post_id, statement=statement, category=category, created_by_id=actor.id)
    db.session.add(claim)
    row = add_span(actor, claim, span)
    db.session.flush()
    audit.record(actor, "claim", claim.id, "create", after=claim_snapshot(claim), claim_id=claim.id)
    audit.record(actor, "span", row.id, "create", claim_id=claim.id,
                 after={"post_id": row.post_id, "comment_id": row.comment_id, "start": row.start,
                        "end": row.end, "exact": row.exact})
    for s in sources:
        add_source(actor, claim, s)
    if verdict:
        set_verdict(actor, claim, verdict, fresh=True)
    return claim


def attach_span(actor, claim: Claim, data: dict) -> ClaimSpan:
    """Another appearance of the same claim: one claim, many spans, one verdict."""
    require(actor, Permission.ANNOTATE)
    if claim.retracted_at:
        raise Conflict("The claim is retracted; restore it first.")
    row = add_span(actor, claim, schemas.parse_span(data))
    db.session.flush()
    audit.record(actor, "span", row.id, "create", claim_id=claim.id,
                 after={"post_id": row.post_id, "comment_id": row.comment_id, "start": row.start,
                        "end": row.end, "exact": row.exact})
    return row


def _check_version(claim: Claim, version) -> None:
    check_version(claim, version, "claim")


def _save_versioned(claim: Claim) -> None:
    save_versioned(claim, "claim")


def update_claim(actor, claim: Claim, data: dict) -> Claim:
    require(actor, Permission.EDIT_ANY_CLAIM, claim)
    _check_version(claim, data.get("version"))
    statement = schemas.parse_statement(data, required=False)
    category_value = schemas.parse_category(data, required=False)
    reason = schemas._str(data, "reason", max_len=2000)
    before = claim_snapshot(claim)
    if statement is not None:
        if not statement:
            raise ValidationError("statement must not be empty.", field="statement")
        claim.statement = statement
    if category_value is not None:
        with db.session.no_autoflush:  # one UPDATE, one version step, for both fields
            claim.category = resolve_category(category_value)
    if claim_snapshot(claim) == before:
        return claim
    _save_versioned(claim)
    audit.record(actor, "claim", claim.id, "update", before=before, after=claim_snapshot(claim),
                 reason=reason, claim_id=claim.id)
    return claim


def retract_claim(actor, claim: Claim, data: dict) -> Claim:
    require(actor, Permission.EDIT_ANY_CLAIM, claim)
    if data.get("version") is not None:
        _check_version(claim, data.get("version"))
    if claim.retracted_at:
        raise Conflict("The claim is already retracted.")
    before = claim_snapshot(claim)
    claim.retracted_at, claim.retracted_by_id = utcnow(), actor.id
    claim.retract_reason = (schemas._str(data, "reason", max_len=2000) or "").strip() or None
    _save_versioned(claim)
    audit.record(actor, "claim", claim.id, "retract", before=before, after=claim_snapshot(claim),
                 reason=claim.retract_reason, claim_id=claim.id)
    return claim


def restore_claim(actor, claim: Claim, data: dict) -> Claim:
    require(actor, Permission.EDIT_ANY_CLAIM, claim)
    if not claim.retracted_at:
        raise Conflict("The claim is not retracted.")
    before = claim_snapshot(claim)
    claim.retracted_at, claim.retracted_by_id, claim.retract_reason = None, None, None
    _save_versioned(claim)
    audit.record(actor, "claim", claim.id, "restore", before=before, after=claim_snapshot(claim),
                 reason=schemas._str(data, "reason", max_len=2000), claim_id=claim.id)
    return claim


def add_source(actor, claim: Claim, source: schemas.SourceIn) -> Source:
    require(actor, Permission.ANNOTATE)
    if claim.retracted_at:
        raise Conflict("The claim is retracted; restore it first.")
    row = Source(claim=claim, created_by_id=actor.id, url=source.url, title=source.title,
                 publisher=source.publisher, quote=source.quote, locator=source.locator,
                 stance=source.stance, accessed=source.accessed)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "source", row.id, "create", after=source_snapshot(row), claim_id=claim.id)
    return row


def set_source_retracted(actor, source: Source, retracted: bool) -> Source:
    if source.created_by_id != actor.id:
        require(actor, Permission.EDIT_ANY_CLAIM)
    before = source_snapshot(source)
    source.retracted_at = utcnow() if retracted else None
    db.session.flush()
    audit.record(actor, "source", source.id, "retract" if retracted else "restore",
                 before=before, after=source_snapshot(source), claim_id=source.claim_id)
    return source


def current_verdict(claim_id: int, reviewer_id: int) -> Verdict | None:
    return db.session.scalar(select(Verdict).where(
        Verdict.claim_id == claim_id, Verdict.reviewer_id == reviewer_id, Verdict.superseded_at.is_(None)))


def set_verdict(actor, claim: Claim, verdict: schemas.VerdictIn, fresh: bool = False) -> Verdict:
    """The actor's own verdict; the previous one stays as history. `fresh`: the claim was just
    created, so there is no previous verdict to look up. Two windows racing to replace the same
    verdict meet the one-current-verdict unique index: the loser gets 409 (errors.py)."""
    require(actor, Permission.VERDICT)
    if claim.retracted_at:
        raise Conflict("The claim is retracted; restore it first.")
    previous = None if fresh else current_verdict(claim.id, actor.id)
    if previous and previous.rating == verdict.rating and previous.rationale == verdict.rationale:
        return previous
    now = utcnow()
    if previous:
        previous.superseded_at = now
        db.session.flush()  # the old row leaves the unique index before the new one enters
    row = Verdict(claim=claim, reviewer_id=actor.id, rating=verdict.rating,
                  rationale=verdict.rationale, created_at=now)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "verdict", row.id, "update" if previous else "create", claim_id=claim.id,
                 before={"rating": previous.rating.value, "rationale": previous.rationale} if previous else None,
                 after={"rating": row.rating.value, "rationale": row.rationale})
    return row


def categories(include_archived: bool = False) -> list[Category]:
    stmt = select(Category).order_by(Category.position, Category.id)
    if not include_archived:
        stmt = stmt.where(Category.archived_at.is_(None))
    return list(db.session.scalars(stmt))


def save_category(actor, name: str, category_id: int | None = None, archived: bool | None = None) -> Category:
    require(actor, Permission.MANAGE_CATEGORIES)
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise ValidationError("A category name is 1 to 100 characters.", field="name")
    clash = db.session.scalar(select(Category).where(Category.name == name))
    if category_id is None:
        if clash:
            raise Conflict(f"There is already a category {name!r}.", field="name")
        position = (db.session.scalar(select(Category.position).order_by(Category.position.desc())) or 0) + 1
        cat = Category(name=name, position=position)
        db.session.add(cat)
    else:
        cat = db.session.get(Category, category_id)
        if cat is None:
            raise NotFound("No such category.")
        if clash and clash.id != cat.id:
            raise Conflict(f"There is already a category {name!r}.", field="name")
        cat.name = name
    if archived is not None:
        cat.archived_at = utcnow() if archived else None
    db.session.flush()
    return cat
