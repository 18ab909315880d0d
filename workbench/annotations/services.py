"""Operations on claims, their spans, sources and verdicts.

Each operation checks permission, checks the invariant, changes rows, writes an audit event
and flushes; the caller (a view or a command) commits once. Nothing is deleted.
"""
import json
from dataclasses import dataclass, field
from types import SimpleNamespace
from uuid import uuid4

from sqlalchemy import bindparam, insert, null, select
from sqlalchemy.orm import joinedload

from .. import audit
from ..audit import AuditEvent
from ..db import utcnow
from ..errors import Conflict, NotFound, ValidationError
from ..extensions import db
from ..permissions import Permission, can, require
from ..versioning import check_version, save_versioned
from . import schemas
from .models import Category, Claim, ClaimSpan, Source, Verdict
from ..corpus.models import Comment, Post
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
        _unknown_category(value)
    return cat


def _unknown_category(value):
    names = ", ".join(db.session.scalars(select(Category.name).where(Category.archived_at.is_(None))
                                          .order_by(Category.position)))
    raise ValidationError(f"Unknown category {value!r}; choose one of: {names}.", field="category")


def _target_statement(by_id: bool, on_comment: bool):
    """The category and the span's text unit in one Core query: the category row, with the
    comment (or post) outer-joined on its id, so a missing unit still tells "unknown category"
    (no row) from "no such comment or post" (a row with the unit's columns NULL)."""
    cat = Category.__table__.c
    if on_comment:
        unit = Comment.__table__
        cols = (unit.c.id.label("unit_id"), unit.c.post_id.label("unit_post_id"), unit.c.text.label("text"),
                unit.c.path.label("comment_path"))
    else:
        unit = Post.__table__
        cols = (unit.c.id.label("unit_id"), unit.c.id.label("unit_post_id"), unit.c.body.label("text"),
                null().label("comment_path"))
    return (select(cat.id, cat.name, *cols)
            .select_from(Category.__table__.outerjoin(unit, unit.c.id == bindparam("unit_id")))
            .where(cat.archived_at.is_(None), (cat.id if by_id else cat.name) == bindparam("category")))


_TARGET = {(by_id, on_comment): _target_statement(by_id, on_comment)
           for by_id in (False, True) for on_comment in (False, True)}


def _category_and_unit(category_value, span: schemas.SpanIn):
    """resolve_category and spans.unit_text for a new claim, in one query: (category row, unit row)."""
    by_id = isinstance(category_value, int)
    row = db.session.connection().execute(_TARGET[by_id, span.comment_id is not None], {
        "category": category_value if by_id else category_value.strip(),
        "unit_id": span.post_id if span.comment_id is None else span.comment_id}).first()
    if row is None:
        _unknown_category(category_value)
    return row


def _check_unit(row, span: schemas.SpanIn) -> None:
    """The same answers as spans.unit_text."""
    if span.comment_id is None:
        if row.unit_id is None:
            raise NotFound(f"No post {span.post_id}.", field="post_id")
    elif row.unit_id is None or row.unit_post_id != span.post_id:
        raise NotFound(f"Post {span.post_id} has no comment {span.comment_id}.", field="comment_id")


def get_claim(claim_id: int, viewer=None) -> Claim:
    """The claim with its category (one query: every caller shows or snapshots the category)."""
    claim = db.session.get(Claim, claim_id, options=[joinedload(Claim.category)])
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


@dataclass
class NewClaim:
    """Everything create_claim wrote, as plain values: the API answers from it without reading
    the claim back (presenters.new_claim_json)."""
    claim: dict
    category_name: str
    span: dict
    comment_path: str | None
    sources: list[dict] = field(default_factory=list)
    verdict: dict | None = None

    @property
    def id(self) -> int:
        return self.claim["id"]


_INSERT_CLAIM = insert(Claim.__table__)
_INSERT_SPAN = insert(ClaimSpan.__table__)
_INSERT_SOURCE = insert(Source.__table__)
_INSERT_VERDICT = insert(Verdict.__table__)
_INSERT_AUDIT = insert(AuditEvent.__table__)


def _audit_row(actor, entity_type: str, entity_id: int, action: str, at, *, before=None, after=None,
               claim_id: int | None = None) -> dict:
    """One audit_event row exactly as audit.record builds it (same JSON encoding), for an
    executemany of several events at once."""
    return {"at": at, "actor_id": getattr(actor, "id", None), "entity_type": entity_type,
            "entity_id": entity_id, "action": action, "claim_id": claim_id, "reason": None,
            "before": None if before is None else json.dumps(before, sort_keys=True, default=str),
            "after": None if after is None else json.dumps(after, sort_keys=True, default=str)}


def write_claim(actor, data: dict) -> NewClaim:
    """A new claim on one span, with its sources and the actor's own first verdict.

    The same checks in the same order as ever (permission, shape, category, sources, verdict,
    then the span against its text), then one INSERT per row and the audit events in one
    executemany: no ORM unit of work, no read-back. Rows are written in the order the ORM
    wrote them (claim, span, sources, verdict, audit), so ids and audit order are unchanged."""
    require(actor, Permission.ANNOTATE)
    span = schemas.parse_span(data)
    statement = schemas.parse_statement(data)
    category_value = schemas.parse_category(data)
    db.session.flush()  # anything the caller left pending is written first, as an autoflush did
    target = _category_and_unit(category_value, span)
    sources = [schemas.parse_source(s, f"sources[{i}]") for i, s in enumerate(schemas.parse_list(data, "sources"))]
    verdict = schemas.parse_verdict(data["verdict"]) if data.get("verdict") is not None else None
    if verdict:
        require(actor, Permission.VERDICT)
    _check_unit(target, span)
    prefix, suffix = check_span(target.text, span.start, span.end, span.exact, span.prefix, span.suffix)

    conn = db.session.connection()
    now = utcnow()
    claim = {"uid": uuid4().hex, "post_id": span.post_id, "statement": statement, "category_id": target.id,
             "created_by_id": actor.id, "created_at": now, "updated_at": now, "version": 1,
             "retracted_at": None, "retracted_by_id": None, "retract_reason": None}
    claim["id"] = claim_id = conn.execute(_INSERT_CLAIM, claim).inserted_primary_key[0]
    span_row = {"uid": uuid4().hex, "claim_id": claim_id, "post_id": span.post_id, "comment_id": span.comment_id,
                "start": span.start, "end": span.end, "exact": span.exact, "prefix": prefix, "suffix": suffix,
                "created_by_id": actor.id, "created_at": now, "retracted_at": None}
    span_row["id"] = conn.execute(_INSERT_SPAN, span_row).inserted_primary_key[0]
    written = NewClaim(claim=claim, category_name=target.name, span=span_row, comment_path=target.comment_path)
    events = [
        _audit_row(actor, "claim", claim_id, "create", now, claim_id=claim_id,
                   after={"statement": statement, "category": target.name, "version": 1, "retracted": False}),
        _audit_row(actor, "span", span_row["id"], "create", now, claim_id=claim_id,
                   after={"post_id": span.post_id, "comment_id": span.comment_id, "start": span.start,
                          "end": span.end, "exact": span.exact})]
    for s in sources:
        row = {"uid": uuid4().hex, "claim_id": claim_id, "url": s.url, "title": s.title, "publisher": s.publisher,
               "quote": s.quote, "locator": s.locator, "stance": s.stance, "accessed": s.accessed,
               "created_by_id": actor.id, "created_at": now, "retracted_at": None}
        row["id"] = conn.execute(_INSERT_SOURCE, row).inserted_primary_key[0]
        written.sources.append(row)
        events.append(_audit_row(actor, "source", row["id"], "create", now, claim_id=claim_id,
                                 after=source_snapshot(SimpleNamespace(**row))))
    if verdict:
        row = {"uid": uuid4().hex, "claim_id": claim_id, "reviewer_id": actor.id, "rating": verdict.rating,
               "rationale": verdict.rationale, "created_at": now, "superseded_at": None}
        row["id"] = conn.execute(_INSERT_VERDICT, row).inserted_primary_key[0]
        written.verdict = row
        events.append(_audit_row(actor, "verdict", row["id"], "create", now, claim_id=claim_id,
                                 after={"rating": verdict.rating.value, "rationale": verdict.rationale}))
    conn.execute(_INSERT_AUDIT, events)
    return written


def create_claim(actor, data: dict) -> Claim:
    """write_claim, returning the claim as an ORM object for callers that go on working with it."""
    return db.session.get(Claim, write_claim(actor, data).id)


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
