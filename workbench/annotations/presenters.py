"""Claim output shapes: one presenter for the API, the reading page's JSON and the exports.

Blind review lives here too: until a reviewer has given their own verdict on a claim, the
other reviewers' verdicts (and whether they agree) are withheld from them.
"""
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..corpus.models import Comment
from ..db import isoformat
from ..extensions import db
from ..permissions import Permission, can
from ..settings import get_flag
from .models import Claim, ClaimSpan, Source
from .status import Status, review_state


def user_json(user) -> dict | None:
    return None if user is None else {"id": user.id, "name": user.name, "username": user.username}


def span_json(span: ClaimSpan, comment_path: str | None) -> dict:
    return {"id": span.id, "post_id": span.post_id, "comment_id": span.comment_id,
            "comment_path": comment_path, "start": span.start, "end": span.end, "exact": span.exact,
            "prefix": span.prefix, "suffix": span.suffix, "created_at": isoformat(span.created_at)}


def source_json(s: Source) -> dict:
    return {"id": s.id, "url": s.url, "title": s.title, "publisher": s.publisher, "quote": s.quote,
            "locator": s.locator, "stance": s.stance.value,
            "accessed": s.accessed.isoformat() if s.accessed else None,
            "created_by": user_json(s.created_by), "created_at": isoformat(s.created_at),
            "retracted": s.retracted_at is not None}


def verdict_json(v, people: dict | None = None) -> dict:
    reviewer = people[v.reviewer_id] if people and v.reviewer_id in people else v.reviewer
    return {"id": v.id, "reviewer": user_json(reviewer), "rating": v.rating.value,
            "rationale": v.rationale, "created_at": isoformat(v.created_at)}


def load_claims(claim_ids: list[int], viewer) -> list[dict]:
    """Many claims in a fixed number of queries, in the order of claim_ids."""
    if not claim_ids:
        return []
    claims = {c.id: c for c in db.session.scalars(
        select(Claim).where(Claim.id.in_(claim_ids))
        .options(joinedload(Claim.category), joinedload(Claim.created_by)))}
    spans: dict[int, list] = {cid: [] for cid in claim_ids}
    for span, path in db.session.execute(
            select(ClaimSpan, Comment.path).outerjoin(Comment, Comment.id == ClaimSpan.comment_id)
            .where(ClaimSpan.claim_id.in_(claim_ids), ClaimSpan.retracted_at.is_(None))
            .order_by(ClaimSpan.id)):
        spans[span.claim_id].append(span_json(span, path))
    sources: dict[int, list] = {cid: [] for cid in claim_ids}
    for s in db.session.scalars(select(Source).where(Source.claim_id.in_(claim_ids))
                                .options(joinedload(Source.created_by)).order_by(Source.id)):
        if s.retracted_at is None or (viewer is not None and can(viewer, Permission.EDIT_ANY_CLAIM, s)):
            sources[s.claim_id].append(source_json(s))
    state = review_state(claim_ids)
    people = _users({v.reviewer_id for st in state.values() for v in st["verdicts"]}
                    | {f.created_by_id for st in state.values() for f in st["flags"]}
                    | {st["adjudication"].lead_id for st in state.values() if st["adjudication"]})
    blind_on = get_flag("blind_review")
    out = []
    for cid in claim_ids:
        claim = claims.get(cid)
        if claim is None:
            continue
        out.append(claim_json(claim, spans[cid], sources[cid], state[cid], viewer, blind_on, people))
    return out


def _users(ids) -> dict:
    from ..auth.models import User
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def claim_json(claim: Claim, spans, sources, state, viewer, blind_on: bool, people: dict) -> dict:
    verdicts = state["verdicts"]
    mine = next((v for v in verdicts if viewer is not None and v.reviewer_id == viewer.id), None)
    blind = blind_on and viewer is not None and mine is None \
        and not can(viewer, Permission.SEE_ALL_VERDICTS) and state["adjudication"] is None
    status = state["status"]
    adjudication = state["adjudication"]
    return {
        "id": claim.id, "version": claim.version, "post_id": claim.post_id,
        "statement": claim.statement, "category": claim.category.name,
        "status": "blind" if blind and status in (Status.AGREED, Status.DISPUTED) else status.value,
        "created_by": user_json(claim.created_by), "created_at": isoformat(claim.created_at),
        "updated_at": isoformat(claim.updated_at),
        "retracted": claim.retracted_at is not None, "retracted_at": isoformat(claim.retracted_at),
        "retract_reason": claim.retract_reason,
        "spans": spans, "sources": sources,
        "verdict_count": len(verdicts),
        "verdicts_hidden": blind,
        "verdicts": [] if blind else [verdict_json(v, people) for v in verdicts],
        "my_verdict": verdict_json(mine, people) if mine else None,
        "flags": [] if blind else [{"id": f.id, "reason": f.reason, "created_at": isoformat(f.created_at),
                                    "created_by": user_json(people.get(f.created_by_id))}
                                   for f in state["flags"]],
        "adjudication": None if adjudication is None else {
            "id": adjudication.id, "rating": adjudication.rating.value, "reasoning": adjudication.reasoning,
            "lead": user_json(people.get(adjudication.lead_id)), "created_at": isoformat(adjudication.created_at)},
    }


def post_claim_ids(post_id: int, include_retracted: bool = False) -> list[int]:
    """Claims with an appearance on this post, in reading order (body first, then the thread)."""
    stmt = (select(ClaimSpan.claim_id, Comment.position, ClaimSpan.start)
            .join(Claim, Claim.id == ClaimSpan.claim_id)
            .outerjoin(Comment, Comment.id == ClaimSpan.comment_id)
            .where(ClaimSpan.post_id == post_id, ClaimSpan.retracted_at.is_(None)))
    if not include_retracted:
        stmt = stmt.where(Claim.retracted_at.is_(None))
    rows = db.session.execute(stmt).all()
    rows.sort(key=lambda r: (-1 if r.position is None else r.position, r.start, r.claim_id))
    seen, ordered = set(), []
    for r in rows:
        if r.claim_id not in seen:
            seen.add(r.claim_id)
            ordered.append(r.claim_id)
    return ordered
