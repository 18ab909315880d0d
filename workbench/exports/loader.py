"""Reads the corpus for export in batches of posts, a fixed number of queries per batch.

Each post comes out as its native record (a plain dict, the shape of one JSON Lines line);
keys starting with "_" carry database ids the other formats need for URLs and are never
written to the native file. Posts are ordered by (date, slug), claims and their parts by
(created_at, uid), history by (at, id): the same data always comes out in the same order.
"""
import json
from collections import defaultdict
from typing import Iterator

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from ..annotations.models import Category, Claim, ClaimSpan, Source, Verdict
from ..annotations.status import derive
from ..audit import AuditEvent
from ..auth.models import User
from ..corpus.models import Comment, Post
from ..extensions import db
from ..permissions import Permission, can
from ..review.models import Adjudication, DiscussionPost, Flag
from ..settings import get_flag
from .filters import ExportOptions, redact

BATCH_POSTS = 100
BATCH_CLAIMS = 500   # a batch of posts is cut so that it holds at most about this many claims
CHILD_MODELS = {"span": ClaimSpan, "source": Source, "verdict": Verdict, "flag": Flag,
                "discussion": DiscussionPost, "adjudication": Adjudication}
# audit entity_type → which list of the claim holds the entity (its uid is exported, not its id)
ENTITY_LISTS = {"claim": None, "span": "spans", "claim_span": "spans", "source": "sources",
                "verdict": "verdicts", "flag": "flags", "discussion": "discussion",
                "discussion_post": "discussion", "adjudication": "adjudications"}


def ts(value) -> str | None:
    """Timestamps to the microsecond, so an import restores them exactly."""
    return None if value is None else value.isoformat(timespec="microseconds") + "Z"


def _sorted(rows):
    return sorted(rows, key=lambda r: (r.created_at, r.uid))


def iter_posts(options: ExportOptions, viewer=None, batch_size: int = BATCH_POSTS) -> Iterator[dict]:
    """Every post the options select, as native records, one batch of posts in memory at a time."""
    after = None
    blind = _blind_rule(viewer)
    while True:
        stmt = select(Post).order_by(Post.date, Post.slug).limit(batch_size)
        if options.date_from:
            stmt = stmt.where(Post.date >= options.date_from)
        if options.date_to:
            stmt = stmt.where(Post.date <= options.date_to)
        if after is not None:
            stmt = stmt.where(or_(Post.date > after[0], and_(Post.date == after[0], Post.slug > after[1])))
        posts = db.session.scalars(stmt).all()
        if not posts:
            return
        after = (posts[-1].date, posts[-1].slug)
        for chunk in _by_claims(posts):
            yield from _batch(chunk, options, blind)
        if len(posts) < batch_size:
            return


def _by_claims(posts: list) -> Iterator[list]:
    """Cut a batch of posts so that each piece holds at most BATCH_CLAIMS claims (a single post
    with more is its own piece): memory follows the claims in a batch, not the posts."""
    counts = dict(db.session.execute(select(Claim.post_id, func.count(Claim.id))
                                     .where(Claim.post_id.in_([p.id for p in posts]))
                                     .group_by(Claim.post_id)).all())
    chunk, held = [], 0
    for p in posts:
        n = counts.get(p.id, 0)
        if chunk and held + n > BATCH_CLAIMS:
            yield chunk
            chunk, held = [], 0
        chunk.append(p)
        held += n
    if chunk:
        yield chunk


def _blind_rule(viewer):
    """Blind review holds for exports too: a reviewer who has not given their own verdict
    does not get the others' verdicts, flags, discussion or history through a download."""
    if viewer is None or can(viewer, Permission.SEE_ALL_VERDICTS) or not get_flag("blind_review"):
        return None
    return viewer.id


def _batch(posts, options: ExportOptions, blind_for) -> Iterator[dict]:
    ids = [p.id for p in posts]
    parent = aliased(Comment)
    comments = defaultdict(list)
    for c, parent_path in db.session.execute(
            select(Comment, parent.path).outerjoin(parent, parent.id == Comment.parent_id)
            .where(Comment.post_id.in_(ids)).order_by(Comment.post_id, Comment.position)):
        text = redact(c.text) if options.redact_emails else c.text
        comments[c.post_id].append({"path": c.path, "parent": parent_path, "text": text, "_id": c.id})
    claim_ids = list(db.session.scalars(select(Claim.id).where(Claim.post_id.in_(ids))))
    claims = defaultdict(list)
    for claim in load_claims(claim_ids, options, blind_for):
        if _matches(claim, options):
            claims[claim["_post_id"]].append(claim)
    for p in posts:
        if options.filters_claims and not claims[p.id]:
            continue
        yield {"slug": p.slug, "date": p.date.isoformat(), "title": p.title, "body": p.body,
               "declared_comment_count": p.declared_comment_count, "source_name": p.source_name,
               "content_hash": p.content_hash, "imported_at": ts(p.imported_at),
               "comments": comments[p.id], "claims": claims[p.id], "_id": p.id}


def _matches(claim: dict, options: ExportOptions) -> bool:
    if options.category and claim["category"] != options.category:
        return False
    if options.status and claim["status"] != options.status:
        return False
    if options.only_adjudicated and claim["status"] != "adjudicated":
        return False
    if options.reviewer and not any(v["reviewer"] == options.reviewer and v["superseded_at"] is None
                                    for v in claim["verdicts"]):
        return False
    return True


def load_claims(claim_ids: list[int], options: ExportOptions = ExportOptions(), blind_for=None) -> list[dict]:
    """Native records of these claims (any order in, (created_at, uid) order out), in ten queries."""
    if not claim_ids:
        return []
    rows = {name: defaultdict(list) for name in CHILD_MODELS}
    for name, model in CHILD_MODELS.items():
        for r in db.session.scalars(select(model).where(model.claim_id.in_(claim_ids))):
            rows[name][r.claim_id].append(r)
    claims = db.session.execute(select(Claim, Category.name).join(Category, Category.id == Claim.category_id)
                                .where(Claim.id.in_(claim_ids))).all()
    history = defaultdict(list)
    if not options.omit_history:
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.claim_id.in_(claim_ids))
                                    .order_by(AuditEvent.at, AuditEvent.id)):
            history[e.claim_id].append(e)
    user_ids = {c.created_by_id for c, _ in claims} | {c.retracted_by_id for c, _ in claims}
    for name, per_claim in rows.items():
        for group in per_claim.values():
            for r in group:
                user_ids |= {getattr(r, f, None) for f in ("created_by_id", "reviewer_id", "author_id",
                                                           "lead_id", "cleared_by_id", "reopened_by_id")}
    user_ids |= {e.actor_id for group in history.values() for e in group}
    user_ids.discard(None)
    names = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all()) \
        if user_ids else {}
    locations = _span_locations([s for group in rows["span"].values() for s in group], options)
    out = []
    for claim, category in sorted(claims, key=lambda r: (r[0].created_at, r[0].uid)):
        parts = {name: _sorted(rows[name][claim.id]) for name in CHILD_MODELS}
        out.append(_claim(claim, category, parts, history[claim.id], names, locations, options, blind_for))
    return out


def _span_locations(spans, options) -> dict:
    """Post slug and date, comment path and position (and text when redacting) of every span."""
    post_ids = {s.post_id for s in spans}
    comment_ids = {s.comment_id for s in spans if s.comment_id}
    posts = {row[0]: row[1:] for row in db.session.execute(
        select(Post.id, Post.slug, Post.date).where(Post.id.in_(post_ids)))} if post_ids else {}
    comments = {}
    if comment_ids:
        cols = (Comment.id, Comment.path, Comment.position) + ((Comment.text,) if options.redact_emails else ())
        comments = {row[0]: row[1:] for row in db.session.execute(select(*cols).where(Comment.id.in_(comment_ids)))}
    return {"posts": posts, "comments": comments}


def _claim(claim, category, parts, history, names, locations, options, blind_for) -> dict:
    current = [v for v in parts["verdict"] if v.superseded_at is None]
    open_flags = [f for f in parts["flag"] if f.cleared_at is None]
    live = [a for a in parts["adjudication"] if a.reopened_at is None]
    status = derive([v.rating for v in current], len(open_flags), bool(live)).value
    hidden = blind_for is not None and not live and not any(v.reviewer_id == blind_for for v in current)
    user = names.get
    record = {
        "uid": claim.uid, "statement": claim.statement, "category": category, "status": status,
        "version": claim.version, "created_by": user(claim.created_by_id), "created_at": ts(claim.created_at),
        "updated_at": ts(claim.updated_at), "retracted_at": ts(claim.retracted_at),
        "retracted_by": user(claim.retracted_by_id), "retract_reason": claim.retract_reason,
        "spans": [_span(s, user, locations, options) for s in parts["span"]],
        "sources": [{"uid": s.uid, "url": s.url, "title": s.title, "publisher": s.publisher,
                     "quote": s.quote, "locator": s.locator, "stance": s.stance.value,
                     "accessed": s.accessed.isoformat() if s.accessed else None,
                     "created_by": user(s.created_by_id), "created_at": ts(s.created_at),
                     "retracted_at": ts(s.retracted_at)} for s in parts["source"]],
        "verdicts": [] if hidden else [
            {"uid": v.uid, "reviewer": user(v.reviewer_id), "rating": v.rating.value,
             "rationale": v.rationale, "created_at": ts(v.created_at), "superseded_at": ts(v.superseded_at)}
            for v in parts["verdict"]],
        "flags": [] if hidden else [
            {"uid": f.uid, "created_by": user(f.created_by_id), "reason": f.reason,
             "created_at": ts(f.created_at), "cleared_at": ts(f.cleared_at),
             "cleared_by": user(f.cleared_by_id)} for f in parts["flag"]],
        "adjudications": [
            {"uid": a.uid, "lead": user(a.lead_id), "rating": a.rating.value, "reasoning": a.reasoning,
             "created_at": ts(a.created_at), "reopened_at": ts(a.reopened_at),
             "reopened_by": user(a.reopened_by_id), "reopen_reason": a.reopen_reason}
            for a in parts["adjudication"]],
        "_id": claim.id, "_post_id": claim.post_id,
    }
    if hidden:
        record["status"] = "blind" if status in ("agreed", "disputed") else status
    if not options.omit_discussion:
        record["discussion"] = [] if hidden else [
            {"uid": d.uid, "author": user(d.author_id), "body": d.body, "created_at": ts(d.created_at)}
            for d in parts["discussion"]]
    if not options.omit_history:
        record["history"] = [] if hidden else _history(history, claim, parts, user)
    return record


def _span(s, user, locations, options) -> dict:
    comment = locations["comments"].get(s.comment_id) if s.comment_id else None
    exact, prefix, suffix = s.exact, s.prefix, s.suffix
    if options.redact_emails and comment is not None:
        text = redact(comment[2])   # re-cut from the masked text, so the quote matches it
        exact = text[s.start:s.end]
        prefix = text[max(0, s.start - len(s.prefix)):s.start]
        suffix = text[s.end:s.end + len(s.suffix)]
    slug, day = locations["posts"][s.post_id]
    return {"uid": s.uid, "post": slug, "comment": comment[0] if comment else None,
            "start": s.start, "end": s.end, "exact": exact, "prefix": prefix, "suffix": suffix,
            "created_by": user(s.created_by_id), "created_at": ts(s.created_at),
            "retracted_at": ts(s.retracted_at), "_post_id": s.post_id, "_post_date": day.isoformat(),
            "_position": -1 if comment is None else comment[1]}


def _history(events, claim, parts, user) -> list[dict]:
    uids = {("claim", claim.id): claim.uid}
    for key, model_rows in (("spans", parts["span"]), ("sources", parts["source"]), ("verdicts", parts["verdict"]),
                            ("flags", parts["flag"]), ("discussion", parts["discussion"]),
                            ("adjudications", parts["adjudication"])):
        for r in model_rows:
            uids[(key, r.id)] = r.uid
    out = []
    for e in events:
        kind = ENTITY_LISTS.get(e.entity_type, "?")
        entity = uids.get(("claim" if kind is None else kind, e.entity_id))
        out.append({"at": ts(e.at), "actor": user(e.actor_id), "entity_type": e.entity_type, "entity": entity,
                    "action": e.action, "before": _json(e.before), "after": _json(e.after), "reason": e.reason})
    return out


def _json(value):
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value
