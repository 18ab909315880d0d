"""Search over posts, comments, claims, sources and discussion: match, filter, rank, page, snippet.

The backend (backends.py) finds and ranks; the filters (date range, category, status, has
claims, reviewer) are applied here, the same way for both databases.
"""
from dataclasses import dataclass, field
from datetime import date

from flask import url_for
from sqlalchemy import select, text
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
from .backends import RANK_WINDOW, backend

KINDS = ("post", "comment", "claim", "source", "discussion")
CORPUS_KINDS = ("post", "comment")   # the backends apply the date range to these themselves
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


def _in(ids) -> str:
    """An IN list of whole numbers written into the SQL (they are ints from the index): with
    thousands of hits, binding each as a parameter cost more than the queries themselves."""
    return ", ".join(str(int(i)) for i in ids) or "NULL"


def _rows(sql: str, **types) -> list:
    return db.session.execute(text(sql).columns(**types)).all()


def _places(hits) -> dict:
    """Where each hit lives: post, comment, claim, date, and the claims that bear on it."""
    ids = {k: [h.id for h in hits if h.kind == k] for k in KINDS}
    source_claim = dict(_rows(f"SELECT id, claim_id FROM source WHERE id IN ({_in(ids['source'])})")) \
        if ids["source"] else {}
    disc_claim = dict(_rows(f"SELECT id, claim_id FROM discussion_post WHERE id IN ({_in(ids['discussion'])})")) \
        if ids["discussion"] else {}
    claim_ids = set(ids["claim"]) | set(source_claim.values()) | set(disc_claim.values())
    claim_post = dict(_rows(f"SELECT id, post_id FROM claim WHERE id IN ({_in(claim_ids)})")) if claim_ids else {}
    comments = {c.id: c for c in _rows(f"SELECT id, post_id, path FROM comment WHERE id IN ({_in(ids['comment'])})")} \
        if ids["comment"] else {}
    post_ids = set(ids["post"]) | {c.post_id for c in comments.values()} | set(claim_post.values())
    posts = {p.id: p for p in _rows(f"SELECT id, date, title FROM post WHERE id IN ({_in(post_ids)})",
                                    date=Post.__table__.c.date.type)} if post_ids else {}
    # Claims appearing in the hit posts and comments (for the claim filters).
    unit_claims: dict[tuple, set] = {}
    if ids["post"] or ids["comment"]:
        rows = _rows("SELECT s.post_id, s.comment_id, s.claim_id FROM claim_span AS s JOIN claim AS c ON c.id = s.claim_id "
                     "WHERE s.retracted_at IS NULL AND c.retracted_at IS NULL AND "
                     f"(s.post_id IN ({_in(ids['post'])}) OR s.comment_id IN ({_in(ids['comment'])}))")
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
    # Filters that keep only units with some claim keep a small, unknown share of the hits: rank
    # every match for them, not just the newest window (backends.RANK_WINDOW); has_claims=0
    # keeps most of the window. The date range is applied inside the index query.
    narrowing = filters.category or filters.status or filters.reviewer or filters.has_claims
    window = None if narrowing else RANK_WINDOW
    hits = engine.match(query, filters.kinds, window=window, dates=(filters.date_from, filters.date_to))
    lo, hi = (page - 1) * per_page, page * per_page
    if filters.needs_claims:
        places = _places(hits)
        facts = _claim_facts({c for p in places.values() for c in p["claims"]}, viewer, filters)
        reviewer_id = _reviewer_id(filters.reviewer) if filters.reviewer else None
        kept = [h for h in hits if (h.kind, h.id) in places and _keep(places[(h.kind, h.id)], filters, facts, reviewer_id)]
        kept.sort(key=lambda h: _order(h, places))
        page_hits = kept[lo:hi]
    else:
        # Without claim filters a post or comment hit is always shown (the backend applied the
        # date range to them), so only the claim-side hits are placed and filtered up front and
        # the thousands of corpus hits are placed only if they reach the page (or tie with it).
        corpus = [h for h in hits if h.kind in CORPUS_KINDS]
        others = [h for h in hits if h.kind not in CORPUS_KINDS]
        places = _places(others)
        kept = corpus + [h for h in others if (h.kind, h.id) in places and _keep(places[(h.kind, h.id)], filters, {}, None)]
        kept.sort(key=lambda h: -round(h.rank, 9))
        page_hits = []
        if lo < len(kept):
            a, b = lo, min(hi, len(kept)) - 1      # widen to whole groups of equal rank
            while a > 0 and round(kept[a - 1].rank, 9) == round(kept[lo].rank, 9):
                a -= 1
            while b + 1 < len(kept) and round(kept[b + 1].rank, 9) == round(kept[b].rank, 9):
                b += 1
            segment = kept[a:b + 1]
            places.update(_places([h for h in segment if (h.kind, h.id) not in places]))
            segment.sort(key=lambda h: _order(h, places))
            page_hits = segment[lo - a: hi - a]
    result.total = len(kept)
    if page_hits:
        engine.snippets(query, page_hits)
    result.items = [_item(h, places[(h.kind, h.id)]) for h in page_hits]
    return result


def _order(h, places) -> tuple:
    """Explicit order: rank, then newest post, then kind and id, so equal ranks page stably."""
    return (-round(h.rank, 9), -places[(h.kind, h.id)]["date"].toordinal(), KINDS.index(h.kind), h.id)


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
