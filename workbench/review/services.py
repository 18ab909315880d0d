"""Team review operations: dispute flags, the discussion thread, adjudication and reopening,
the dispute queue, and the blind-review setting.

Each operation checks permission and its invariant, writes an audit event and flushes; the
caller commits once. Nothing is deleted: flags are cleared, adjudications reopened, discussion
posts kept.
"""
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..annotations.models import Claim, Rating, Verdict
from ..annotations.status import Status, review_state
from ..auth.models import User
from ..db import utcnow
from ..errors import Conflict, Forbidden, NotFound, ValidationError
from ..extensions import db
from ..permissions import Permission, Role, ROLE_PERMISSIONS, can, require
from ..settings import get_flag, set_flag
from .models import Adjudication, DiscussionPost, Flag

MAX_BODY = 10000


def _text(value, field: str, *, required: bool = True, max_len: int = MAX_BODY) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text.", field=field)
    value = value.strip()
    if required and not value:
        raise ValidationError(f"Say why: {field} must not be empty.", field=field)
    if len(value) > max_len:
        raise ValidationError(f"{field} is longer than {max_len} characters.", field=field)
    return value


def _live(claim: Claim) -> None:
    if claim.retracted_at is not None:
        raise Conflict("The claim is retracted; restore it first.")


# ---- flags -----------------------------------------------------------------------------------

def flag_claim(actor, claim: Claim, reason) -> Flag:
    """Any reviewer may flag a claim as disputed, with a reason; it is then disputed until cleared."""
    require(actor, Permission.FLAG)
    _live(claim)
    reason = _text(reason, "reason", max_len=2000)
    mine = db.session.scalar(select(Flag).where(Flag.claim_id == claim.id, Flag.created_by_id == actor.id,
                                                Flag.cleared_at.is_(None)))
    if mine is not None:
        raise Conflict("You have already flagged this claim; a lead can clear it.", field="reason")
    flag = Flag(claim_id=claim.id, created_by_id=actor.id, reason=reason)
    db.session.add(flag)
    db.session.flush()
    audit.record(actor, "flag", flag.id, "create", after={"reason": reason}, reason=reason, claim_id=claim.id)
    return flag


def clear_flag(actor, flag: Flag, reason=None) -> Flag:
    require(actor, Permission.ADJUDICATE)
    if flag.cleared_at is not None:
        raise Conflict("The flag is already cleared.")
    flag.cleared_at, flag.cleared_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record(actor, "flag", flag.id, "clear", before={"reason": flag.reason, "cleared": False},
                 after={"reason": flag.reason, "cleared": True},
                 reason=_text(reason, "reason", required=False, max_len=2000) or None, claim_id=flag.claim_id)
    return flag


def get_flag_row(flag_id: int) -> Flag:
    flag = db.session.get(Flag, flag_id)
    if flag is None:
        raise NotFound(f"No flag {flag_id}.")
    return flag


# ---- discussion ------------------------------------------------------------------------------

def post_discussion(actor, claim: Claim, body) -> DiscussionPost:
    require(actor, Permission.DISCUSS)
    body = _text(body, "body")
    post = DiscussionPost(claim_id=claim.id, author_id=actor.id, body=body)
    db.session.add(post)
    db.session.flush()
    audit.record(actor, "discussion", post.id, "create", after={"body": body}, claim_id=claim.id)
    return post


def discussion(claim_id: int) -> list[DiscussionPost]:
    from sqlalchemy.orm import joinedload
    return list(db.session.scalars(select(DiscussionPost).where(DiscussionPost.claim_id == claim_id)
                                   .options(joinedload(DiscussionPost.author)).order_by(DiscussionPost.id)))


# ---- adjudication ----------------------------------------------------------------------------

def adjudicator_roles() -> list[Role]:
    return [role for role, perms in ROLE_PERMISSIONS.items() if Permission.ADJUDICATE in perms]


def adjudication_block(actor, claim_id: int) -> str | None:
    """Why actor may not adjudicate this claim, or None. A lead who gave a verdict on the claim
    stands aside while another active lead (who gave none) can take it."""
    if not can(actor, Permission.ADJUDICATE):
        return "Only a lead can adjudicate."
    voters = set(db.session.scalars(select(Verdict.reviewer_id).where(Verdict.claim_id == claim_id)))
    if actor.id not in voters:
        return None
    others = [u for u in db.session.scalars(select(User).where(User.active.is_(True), User.id != actor.id,
                                                               User.role.in_(adjudicator_roles()))
                                            .order_by(User.username))
              if u.id not in voters]
    if not others:
        return None
    names = ", ".join(u.name for u in others[:3]) + (" …" if len(others) > 3 else "")
    return (f"You gave a verdict on this claim, so another lead should adjudicate it ({names}). "
            "You may adjudicate your own dispute only when no other lead is available.")


def live_adjudication(claim_id: int) -> Adjudication | None:
    return db.session.scalar(select(Adjudication).where(Adjudication.claim_id == claim_id,
                                                        Adjudication.reopened_at.is_(None)))


def adjudicate(actor, claim: Claim, rating, reasoning) -> Adjudication:
    """The lead's final verdict: the claim becomes adjudicated; every verdict stays on record."""
    require(actor, Permission.ADJUDICATE)
    _live(claim)
    try:
        rating = Rating(rating)
    except ValueError:
        raise ValidationError("rating is one of " + ", ".join(r.value for r in Rating) + ".", field="rating")
    reasoning = _text(reasoning, "reasoning")
    block = adjudication_block(actor, claim.id)
    if block:
        raise Forbidden(block)
    if live_adjudication(claim.id) is not None:
        raise Conflict("The claim is already adjudicated; reopen it first.")
    if not review_state([claim.id])[claim.id]["verdicts"]:
        raise Conflict("Nobody has given a verdict on this claim yet.")
    row = Adjudication(claim_id=claim.id, lead_id=actor.id, rating=rating, reasoning=reasoning)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # another lead adjudicated it at the same moment (uq_adjudication_live)
        raise Conflict("Another lead adjudicated this claim at the same moment. Reload to see it.")
    audit.record(actor, "adjudication", row.id, "create", claim_id=claim.id,
                 after={"rating": rating.value, "reasoning": reasoning})
    from ..tasks.models import TaskKind
    from ..tasks.services import complete_open_tasks
    complete_open_tasks(actor, TaskKind.ADJUDICATE_CLAIM, claim.id, actor.id)
    return row


def reopen(actor, claim: Claim, reason) -> Adjudication:
    """Reopen an adjudication with a reason; the row is kept, stamped with who, when and why."""
    require(actor, Permission.ADJUDICATE)
    reason = _text(reason, "reason", max_len=2000)
    row = live_adjudication(claim.id)
    if row is None:
        raise Conflict("The claim is not adjudicated, so there is nothing to reopen.")
    before = {"rating": row.rating.value, "reasoning": row.reasoning, "reopened": False}
    row.reopened_at, row.reopened_by_id, row.reopen_reason = utcnow(), actor.id, reason
    db.session.flush()
    audit.record(actor, "adjudication", row.id, "reopen", before=before,
                 after={**before, "reopened": True}, reason=reason, claim_id=claim.id)
    return row


def adjudications(claim_id: int) -> list[Adjudication]:
    return list(db.session.scalars(select(Adjudication).where(Adjudication.claim_id == claim_id)
                                   .order_by(Adjudication.id)))


# ---- the dispute queue -----------------------------------------------------------------------

def disputed_claim_ids(category_id: int | None = None) -> list[int]:
    """Live claims that are disputed now (verdicts disagree or an open flag), oldest first."""
    candidates = set(db.session.scalars(select(Flag.claim_id).where(Flag.cleared_at.is_(None))))
    multi = select(Verdict.claim_id).where(Verdict.superseded_at.is_(None)).group_by(Verdict.claim_id) \
        .having(func.count(Verdict.rating.distinct()) > 1)
    candidates |= set(db.session.scalars(multi))
    if not candidates:
        return []
    stmt = select(Claim.id).where(Claim.id.in_(candidates), Claim.retracted_at.is_(None))
    if category_id is not None:
        stmt = stmt.where(Claim.category_id == category_id)
    ids = list(db.session.scalars(stmt.order_by(Claim.id)))
    state = review_state(ids)
    return [cid for cid in ids if state[cid]["status"] is Status.DISPUTED]


# ---- settings --------------------------------------------------------------------------------

def blind_review_on() -> bool:
    return get_flag("blind_review")


def set_blind_review(actor, on: bool) -> None:
    require(actor, Permission.MANAGE_SETTINGS)
    before = blind_review_on()
    if before == bool(on):
        return
    set_flag("blind_review", bool(on))
    audit.record(actor, "setting", 0, "update", before={"blind_review": before}, after={"blind_review": bool(on)})


# ---- the read side: one claim's review, as the dispute page and the API show it ----------------

def unit_texts(spans: list[dict]) -> dict[tuple, str]:
    """The texts the spans point into, in two queries: {(post_id, comment_id): text}."""
    from ..corpus.models import Comment, Post
    post_ids = {s["post_id"] for s in spans if s["comment_id"] is None}
    comment_ids = {s["comment_id"] for s in spans if s["comment_id"] is not None}
    texts = {}
    if post_ids:
        texts.update({(pid, None): body for pid, body in db.session.execute(
            select(Post.id, Post.body).where(Post.id.in_(post_ids)))})
    if comment_ids:
        texts.update({(pid, cid): text for cid, pid, text in db.session.execute(
            select(Comment.id, Comment.post_id, Comment.text).where(Comment.id.in_(comment_ids)))})
    return texts


def span_context(span: dict, width: int = 280, text: str | None = None) -> dict:
    """The quoted span in its paragraph: text before, the words, text after (cut at paragraph ends)."""
    if text is None:
        from ..annotations.spans import unit_text
        text = unit_text(span["post_id"], span["comment_id"])
    start, end = span["start"], span["end"]
    lo = max(0, start - width)
    para = text.rfind("\n", lo, start)
    lo = para + 1 if para != -1 else lo
    hi = min(len(text), end + width)
    para_end = text.find("\n", end, hi)
    hi = para_end if para_end != -1 else hi
    if para == -1 and lo > 0 and text[lo - 1] not in "\n ":   # cut mid-paragraph: start at a word
        space = text.find(" ", lo, start)
        lo = space + 1 if space != -1 else lo
    if para_end == -1 and hi < len(text) and text[hi] not in "\n ":
        space = text.rfind(" ", end, hi)
        hi = space if space != -1 else hi
    clipped_before = lo > 0 and text[lo - 1] != "\n"
    clipped_after = hi < len(text) and text[hi] != "\n"
    return {"before": ("…" if clipped_before else "") + text[lo:start], "exact": text[start:end],
            "after": text[end:hi] + ("…" if clipped_after else ""),
            "where": "the post" if span["comment_id"] is None else f"comment {span['comment_path']}"}


def differences(verdicts: list[dict], sources: list[dict]) -> dict:
    """What the columns disagree on: each verdict against the most common rating, and the
    spread on the ordinal scale; sources per reviewer, with the stances cited."""
    from collections import Counter
    ratings = Counter(v["rating"] for v in verdicts)
    top = max(ratings.values()) if ratings else 0
    modal = sorted(r for r, n in ratings.items() if n == top)
    ranks = [Rating(v["rating"]).rank for v in verdicts if Rating(v["rating"]).rank is not None]
    voters = {v["reviewer"]["id"] for v in verdicts if v["reviewer"]}
    by_reviewer: dict[int, list] = {}
    other_sources = []
    for s in sources:
        author = s["created_by"]["id"] if s["created_by"] else None
        if author in voters:
            by_reviewer.setdefault(author, []).append(s)
        else:
            other_sources.append(s)
    return {
        "agree": len(ratings) <= 1,
        "modal": modal if len(modal) == 1 else [],
        "differs": {v["id"]: len(modal) != 1 or v["rating"] != modal[0] for v in verdicts},
        "spread": (max(ranks) - min(ranks)) if ranks else 0,
        "unverifiable": sum(1 for v in verdicts if v["rating"] == "unverifiable"),
        "stances": sorted({s["stance"] for s in sources if not s["retracted"]}),
        "sources_by_reviewer": by_reviewer,
        "other_sources": other_sources,
    }


def adjudication_json(a: Adjudication, people: dict) -> dict:
    from ..annotations.presenters import user_json
    from ..db import isoformat
    return {"id": a.id, "rating": a.rating.value, "reasoning": a.reasoning,
            "lead": user_json(people.get(a.lead_id)), "created_at": isoformat(a.created_at),
            "reopened": a.reopened_at is not None, "reopened_at": isoformat(a.reopened_at),
            "reopened_by": user_json(people.get(a.reopened_by_id)), "reopen_reason": a.reopen_reason}


def discussion_json(p: DiscussionPost) -> dict:
    from ..annotations.presenters import user_json
    from ..db import isoformat
    return {"id": p.id, "claim_id": p.claim_id, "author": user_json(p.author), "body": p.body,
            "created_at": isoformat(p.created_at)}


def claim_review(claim_id: int, viewer) -> dict:
    """Everything the dispute page shows about one claim. Under blind review a viewer who has not
    given their own verdict sees neither the others' verdicts nor the discussion."""
    from ..annotations.presenters import load_claims
    claim = load_claims([claim_id], viewer)[0]
    hidden = claim["verdicts_hidden"]
    people = {u.id: u for u in db.session.scalars(select(User))}
    rows = adjudications(claim_id)
    return {
        "claim": claim,
        "contexts": [span_context(s) for s in claim["spans"][:3]],
        "differences": None if hidden else differences(claim["verdicts"], claim["sources"]),
        "discussion": [] if hidden else [discussion_json(p) for p in discussion(claim_id)],
        "discussion_hidden": hidden,
        "adjudications": [] if hidden else [adjudication_json(a, people) for a in rows],
        "adjudication_block": adjudication_block(viewer, claim_id) if can(viewer, Permission.ADJUDICATE) else None,
        "can": {"adjudicate": can(viewer, Permission.ADJUDICATE), "flag": can(viewer, Permission.FLAG),
                "discuss": can(viewer, Permission.DISCUSS) and not hidden,
                "clear_flags": can(viewer, Permission.ADJUDICATE), "assign": can(viewer, Permission.ASSIGN)},
    }
