"""Search over posts, comments, claims, sources and discussion: match, filter, rank, page, snippet.

The backend (backends.py) finds and ranks; the filters (date range, category, status, has
claims, reviewer) are applied here, the same way for both databases.
"""
from dataclasses import dataclass, field
from datetime import date

from flask import url_for
from sqlalchemy import select
from werkzeug.routing import BuildError

from ..annotations.models import Category, Claim, ClaimSpan, Source, Verdict
from ..annotations.status import review_state
from ..auth.models import User
from ..corpus.models import Comment, Post
from ..errors import ValidationError
from ..extensions import db
from ..permissions import Permission, can, require
from ..review.models import DiscussionPost
from ..settings import get_flag
from . import query as query_mod
from .backends import backend

KINDS = ("post", "comment", "claim", "source", "discussion")
STATUSES = ("no_verdict", "agreed", "disputed", "adjudicated")
PER_PAGE, MAX_PER_PAGE = 20, 100


@dataclass
class Filters:
    date_from: date | None = None
    date_to: date | None = None
    category: str | None = None
    status: str | None = None
    has_claims: bool | None = None
    reviewer: str | None = None
    kinds: tuple[str, ...] = KINDS

    @property
    def needs_claims(self) -> bool:
        return bool(self.category or self.status or self.has_claims is not None or self.reviewer)


def _date(args, name):
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{name} must be a date like 2014-03-31.", field=name)


def parse_filters(args) -> Filters:
    """Filters from query parameters (the API and the page share them)."""
    f = Filters(date_from=_date(args, "date_from"), date_to=_date(args, "date_to"),
                category=(args.get("category") or "").strip() or None,
                status=(args.get("status") or "").strip() or None,
                reviewer=(args.get("reviewer") or "").strip() or None)
    if f.status and f.status not in STATUSES:
        raise ValidationError(f"status must be one of: {', '.join(STATUSES)}.", field="status")
    has = (args.get("has_claims") or "").strip().lower()
    if has:
        if has not in ("1", "0", "true", "false", "yes", "no"):
            raise ValidationError("has_claims must be 1 or 0.", field="has_claims")
        f.has_claims = has in ("1", "true", "yes")
    kinds = [k for k in (args.get("kind") or "").replace(",", " ").split() if k]
    if kinds:
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise ValidationError(f"kind must be among: {', '.join(KINDS)}.", field="kind")
        f.kinds = tuple(k for k in KINDS if k in kinds)
    return f


@dataclass
class Result:
    items: list[dict] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def json(self) -> dict:
        return {"items": self.items, "total": self.total, "page": self.page, "per_page": self.per_page,
                "pages": self.pages}


def _url(endpoint: str, fallback: str, anchor: str | None = None, **values) -> str:
    try:
        base = url_for(endpoint, **values)
    except BuildError:
        base = fallback
    return base + (f"#{anchor}" if anchor else "")


def _places(hits) -> dict:
    """Where each hit lives: post, comment, claim, date, and the claims that bear on it."""
    ids = {k: [h.id for h in hits if h.kind == k] for k in KINDS}
    source_claim = dict(db.session.execute(select(Source.id, Source.claim_id).where(Source.id.in_(ids["source"]))).all()) if ids["source"] else {}
    disc_claim = dict(db.session.execute(select(DiscussionPost.id, DiscussionPost.claim_id)
                                         .where(DiscussionPost.id.in_(ids["discussion"]))).all()) if ids["discussion"] else {}
    claim_ids = set(ids["claim"]) | set(source_claim.values()) | set(disc_claim.values())
    claim_post = dict(db.session.execute(select(Claim.id, Claim.post_id).where(Claim.id.in_(claim_ids))).all()) if claim_ids else {}
    comments = {c.id: c for c in db.session.execute(select(Comment.id, Comment.post_id, Comment.path)
                                                   .where(Comment.id.in_(ids["comment"])))} if ids["comment"] else {}
    post_ids = set(ids["post"]) | {c.post_id for c in comments.values()} | set(claim_post.values())
    posts = {p.id: p for p in db.session.execute(select(Post.id, Post.date, Post.title).where(Post.id.in_(post_ids)))} if post_ids else {}
    # Claims appearing in the hit posts and comments (for the claim filters).
    unit_claims: dict[tuple, set] = {}
    if ids["post"] or ids["comment"]:
        rows = db.session.execute(select(ClaimSpan.post_id, ClaimSpan.comment_id, ClaimSpan.claim_id)
                                  .join(Claim, Claim.id == ClaimSpan.claim_id)
                                  .where(ClaimSpan.retracted_at.is_(None), Claim.retracted_at.is_(None),
                                         (ClaimSpan.post_id.in_(ids["post"])) | (ClaimSpan.comment_id.in_(ids["comment"]))))
        for post_id, comment_id, claim_id in rows:
            unit_claims.setdefault((post_id, comment_id), set()).add(claim_id)
    out = {}
    for h in hits:
        if h.kind == "post":
            place = {"post_id": h.id, "comment_id": None, "claim_id": None, "claims": unit_claims.get((h.id, None), set())}
        elif h.kind == "comment":
            c = comments.get(h.id)
            if c is None:
                continue
            place = {"post_id": c.post_id, "comment_id": h.id, "claim_id": None, "path": c.path,
                     "claims": unit_claims.get((c.post_id, h.id), set())}
        else:
            claim_id = h.id if h.kind == "claim" else (source_claim if h.kind == "source" else disc_claim).get(h.id)
            if claim_id not in claim_post:
                continue
            place = {"post_id": claim_post[claim_id], "comment_id": None, "claim_id": claim_id, "claims": {claim_id}}
        post = posts.get(place["post_id"])
        if post is None:
            continue
        place["date"], place["title"] = post.date, post.title
        out[(h.kind, h.id)] = place
    return out


def _claim_facts(claim_ids: set, viewer, filters: Filters) -> dict:
    """Per claim: category name, status as the viewer may see it, people involved."""
    if not claim_ids or not filters.needs_claims:
        return {}
    facts = {cid: {"category": None, "status": None, "people": set()} for cid in claim_ids}
    for cid, cat_id, cat_name, author in db.session.execute(
            select(Claim.id, Category.id, Category.name, Claim.created_by_id)
            .join(Category, Category.id == Claim.category_id).where(Claim.id.in_(claim_ids))):
        facts[cid].update(category=(str(cat_id), cat_name.lower()))
        facts[cid]["people"].add(author)
    if filters.status or filters.reviewer:
        state = review_state(list(claim_ids))
        see_all = can(viewer, Permission.SEE_ALL_VERDICTS) or not get_flag("blind_review")
        for cid, st in state.items():
            mine = any(v.reviewer_id == viewer.id for v in st["verdicts"])
            status = st["status"].value
            if status in ("agreed", "disputed") and not (see_all or mine):
                status = "blind"   # a blind reviewer must not learn how others voted
            facts[cid]["status"] = status
            if see_all or mine:
                facts[cid]["people"] |= {v.reviewer_id for v in st["verdicts"]}
            else:
                facts[cid]["people"] |= {v.reviewer_id for v in st["verdicts"] if v.reviewer_id == viewer.id}
    return facts


def _reviewer_id(name: str) -> int:
    user = db.session.scalar(select(User).where(User.username == name))
    if user is None:
        raise ValidationError(f"No reviewer called {name!r}.", field="reviewer")
    return user.id


def _keep(place: dict, f: Filters, facts: dict, reviewer_id) -> bool:
    if f.date_from and place["date"] < f.date_from:
        return False
    if f.date_to and place["date"] > f.date_to:
        return False
    claims = place["claims"]
    if f.has_claims is not None and bool(claims) != f.has_claims:
        return False
    if f.category:
        want = f.category.lower()
        if not any(want in facts[c]["category"] for c in claims):
            return False
    if f.status and not any(facts[c]["status"] == f.status for c in claims):
        return False
    if reviewer_id is not None and not any(reviewer_id in facts[c]["people"] for c in claims):
        return False
    return True


def search(viewer, q: str, filters: Filters | None = None, page: int = 1, per_page: int = PER_PAGE,
           any_term: bool = False) -> Result:
    """Ranked, filtered, paginated hits with highlighted snippets linking to the exact place."""
    require(viewer, Permission.READ)
    filters = filters or Filters()
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    query = query_mod.parse(q, any_term)
    result = Result(page=page, per_page=per_page)
    if query.empty:
        return result
    engine = backend()
    hits = engine.match(query, filters.kinds)
    places = _places(hits)
    facts = _claim_facts({c for p in places.values() for c in p["claims"]}, viewer, filters)
    reviewer_id = _reviewer_id(filters.reviewer) if filters.reviewer else None
    kept = [h for h in hits if (h.kind, h.id) in places and _keep(places[(h.kind, h.id)], filters, facts, reviewer_id)]
    # Explicit order: rank, then newest post, then kind and id, so equal ranks page stably.
    kept.sort(key=lambda h: (-round(h.rank, 9), -places[(h.kind, h.id)]["date"].toordinal(), KINDS.index(h.kind), h.id))
    result.total = len(kept)
    page_hits = kept[(page - 1) * per_page: page * per_page]
    if page_hits:
        engine.snippets(query, page_hits)
    result.items = [_item(h, places[(h.kind, h.id)]) for h in page_hits]
    return result


def _item(h, place) -> dict:
    post_id, comment_id, claim_id = place["post_id"], place["comment_id"], place["claim_id"]
    if h.kind == "post":
        url = _url("corpus.post", f"/posts/{post_id}", post_id=post_id)
    elif h.kind == "comment":
        url = _url("corpus.post", f"/posts/{post_id}", "c" + place["path"].replace(".", "-"), post_id=post_id)
    else:
        anchor = {"claim": None, "source": f"source-{h.id}", "discussion": f"discussion-{h.id}"}[h.kind]
        url = f"/claims/{claim_id}" + (f"#{anchor}" if anchor else "")
    return {"kind": h.kind, "id": h.id, "post_id": post_id, "comment_id": comment_id, "claim_id": claim_id,
            "comment_path": place.get("path"), "post_title": place["title"], "date": place["date"].isoformat(),
            "score": round(h.rank, 6), "snippet": h.snippet, "url": url}


def search_units(q: str, limit: int = 200) -> list[tuple[int, int | None]]:
    """(post_id, comment_id) of the post bodies and comments best matching any of the words."""
    query = query_mod.parse(q, any_term=True)
    if query.empty:
        return []
    hits = backend().match(query, ("post", "comment"))[:limit]
    comment_ids = [h.id for h in hits if h.kind == "comment"]
    posts_of = dict(db.session.execute(select(Comment.id, Comment.post_id).where(Comment.id.in_(comment_ids))).all()) \
        if comment_ids else {}
    return [(h.id, None) if h.kind == "post" else (posts_of[h.id], h.id) for h in hits if h.kind == "post" or h.id in posts_of]
