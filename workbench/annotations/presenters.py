"""Claim output shapes: one presenter for the API, the reading page's JSON and the exports.

Blind review lives here too: until a reviewer has given their own verdict on a claim, the
other reviewers' verdicts (and whether they agree) are withheld from them.
"""
from types import SimpleNamespace

from sqlalchemy import select

from ..corpus.models import Comment
from ..db import isoformat
from ..extensions import db
from ..permissions import Permission, can
from ..settings import get_flag
from .models import Category, Claim, ClaimSpan, Source
from .status import Status, derive, review_state


def user_json(user) -> dict | None:
    """A user, from a User or a row with id, username and display_name."""
    if user is None:
        return None
    return {"id": user.id, "name": user.display_name or user.username, "username": user.username}


def span_json(span: ClaimSpan, comment_path: str | None) -> dict:
    return {"id": span.id, "post_id": span.post_id, "comment_id": span.comment_id,
            "comment_path": comment_path, "start": span.start, "end": span.end, "exact": span.exact,
            "prefix": span.prefix, "suffix": span.suffix, "created_at": isoformat(span.created_at)}


def source_json(s, people: dict | None = None) -> dict:
    return {"id": s.id, "url": s.url, "title": s.title, "publisher": s.publisher, "quote": s.quote,
            "locator": s.locator, "stance": s.stance.value,
            "accessed": s.accessed.isoformat() if s.accessed else None,
            "created_by": user_json(people.get(s.created_by_id) if people is not None else s.created_by),
            "created_at": isoformat(s.created_at), "retracted": s.retracted_at is not None}


def verdict_json(v, people: dict | None = None) -> dict:
    reviewer = people[v.reviewer_id] if people and v.reviewer_id in people else v.reviewer
    return {"id": v.id, "reviewer": user_json(reviewer), "rating": v.rating.value,
            "rationale": v.rationale, "created_at": isoformat(v.created_at)}


def load_claims(claim_ids: list[int], viewer) -> list[dict]:
    """Many claims in a fixed number of queries, in the order of claim_ids.

    Rows, not ORM objects: a post with 1,000 claims and 3,000 verdicts is on the hot path of
    the reading page, and building identity-mapped instances was most of its cost."""
    if not claim_ids:
        return []
    viewer = getattr(viewer, "_get_current_object", lambda: viewer)()  # no proxy on the hot path
    claims = {r.id: r for r in db.session.execute(
        select(Claim.id, Claim.version, Claim.post_id, Claim.statement, Category.name.label("category_name"),
               Claim.created_by_id, Claim.created_at, Claim.updated_at, Claim.retracted_at,
               Claim.retract_reason)
        .join(Category, Category.id == Claim.category_id).where(Claim.id.in_(claim_ids)))}
    spans: dict[int, list] = {cid: [] for cid in claim_ids}
    for row in db.session.execute(
            select(*ClaimSpan.__table__.c, Comment.path.label("comment_path"))
            .outerjoin(Comment, Comment.id == ClaimSpan.comment_id)
            .where(ClaimSpan.claim_id.in_(claim_ids), ClaimSpan.retracted_at.is_(None))
            .order_by(ClaimSpan.id)):
        spans[row.claim_id].append(span_json(row, row.comment_path))
    source_rows = db.session.execute(select(*Source.__table__.c).where(Source.claim_id.in_(claim_ids))
                                     .order_by(Source.id)).all()
    state = review_state(claim_ids)
    people = _users({c.created_by_id for c in claims.values()}
                    | {r.created_by_id for r in source_rows}
                    | {v.reviewer_id for st in state.values() for v in st["verdicts"]}
                    | {f.created_by_id for st in state.values() for f in st["flags"]}
                    | {st["adjudication"].lead_id for st in state.values() if st["adjudication"]})
    sources: dict[int, list] = {cid: [] for cid in claim_ids}
    for r in source_rows:
        if r.retracted_at is None or (viewer is not None and can(viewer, Permission.EDIT_ANY_CLAIM, r)):
            sources[r.claim_id].append(source_json(r, people))
    blind_on = get_flag("blind_review")
    sees_all = viewer is not None and can(viewer, Permission.SEE_ALL_VERDICTS)
    out = []
    for cid in claim_ids:
        claim = claims.get(cid)
        if claim is None:
            continue
        out.append(claim_json(claim, spans[cid], sources[cid], state[cid], viewer, blind_on, people, sees_all))
    return out


def new_claim_json(written, viewer) -> dict:
    """The claim create_claim just wrote, exactly as load_claims([id], viewer) would give it
    once committed (tests/functional/test_claim_fastpath.py compares the two), built from the
    values written instead of reading them back. A new claim has no flags, no adjudication and
    at most the author's own verdict; only when the author gave none does blind review need
    the setting."""
    viewer = getattr(viewer, "_get_current_object", lambda: viewer)()
    people = {viewer.id: viewer} if viewer is not None and viewer.id == written.claim["created_by_id"] \
        else _users({written.claim["created_by_id"]})
    verdicts = [SimpleNamespace(**written.verdict)] if written.verdict else []
    state = {"verdicts": verdicts, "flags": [], "adjudication": None,
             "status": derive([v.rating for v in verdicts], 0, False)}
    sees_all = viewer is not None and can(viewer, Permission.SEE_ALL_VERDICTS)
    mine = any(getattr(viewer, "id", None) == v.reviewer_id for v in verdicts)
    blind_on = False if (mine or sees_all or viewer is None) else get_flag("blind_review")
    claim = SimpleNamespace(**written.claim, category_name=written.category_name)
    return claim_json(claim, [span_json(SimpleNamespace(**written.span), written.comment_path)],
                      [source_json(SimpleNamespace(**s), people) for s in written.sources],
                      state, viewer, blind_on, people, sees_all)


def _users(ids) -> dict:
    from ..auth.models import User
    if not ids:
        return {}
    return {u.id: u for u in db.session.execute(
        select(User.id, User.username, User.display_name).where(User.id.in_(ids)))}


def claim_json(claim, spans, sources, state, viewer, blind_on: bool, people: dict,
               sees_all: bool | None = None) -> dict:
    verdicts = state["verdicts"]
    viewer_id = getattr(viewer, "id", None)
    mine = next((v for v in verdicts if viewer_id is not None and v.reviewer_id == viewer_id), None)
    if sees_all is None:
        sees_all = viewer is not None and can(viewer, Permission.SEE_ALL_VERDICTS)
    blind = blind_on and viewer is not None and mine is None and not sees_all \
        and state["adjudication"] is None
    status = state["status"]
    adjudication = state["adjudication"]
    return {
        "id": claim.id, "version": claim.version, "post_id": claim.post_id,
        "statement": claim.statement, "category": claim.category_name,
        "status": "blind" if blind and status in (Status.AGREED, Status.DISPUTED) else status.value,
        "created_by": user_json(people.get(claim.created_by_id)), "created_at": isoformat(claim.created_at),
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


def post_review_summary(post_ids: list[int], viewer) -> dict[int, dict]:
    """Per post on the index: how many live claims, and how many in each review status as this
    viewer may see it (blind review applies). Four queries for a page of posts."""
    summary = {pid: {"claims": 0} for pid in post_ids}
    if not post_ids:
        return summary
    pairs = db.session.execute(
        select(ClaimSpan.post_id, ClaimSpan.claim_id).distinct()
        .join(Claim, Claim.id == ClaimSpan.claim_id)
        .where(ClaimSpan.post_id.in_(post_ids), ClaimSpan.retracted_at.is_(None),
               Claim.retracted_at.is_(None))).all()
    state = review_state(sorted({cid for _, cid in pairs}))
    viewer = getattr(viewer, "_get_current_object", lambda: viewer)()
    blind_on = get_flag("blind_review")
    sees_all = viewer is not None and can(viewer, Permission.SEE_ALL_VERDICTS)
    for pid, cid in pairs:
        st = state[cid]
        status = st["status"].value
        mine = any(v.reviewer_id == getattr(viewer, "id", None) for v in st["verdicts"])
        if blind_on and not sees_all and not mine and status in ("agreed", "disputed"):
            status = "blind"
        row = summary[pid]
        row["claims"] += 1
        row[status] = row.get(status, 0) + 1
    return summary
