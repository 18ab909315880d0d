"""Read-side queries for the post index and the post page: a fixed number of queries each."""
from dataclasses import dataclass

from sqlalchemy import String, extract, func, select, type_coerce, union_all

from ..annotations.models import Category, Claim, ClaimSpan, Source, Verdict
from ..audit import AuditEvent
from ..auth.models import User
from ..errors import NotFound
from ..extensions import db
from ..review.models import Adjudication, Flag
from .models import Comment, Post
from .parser import content_hash


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_posts(page: int = 1, per_page: int = 25, year: int | None = None, q: str | None = None) -> Page:
    stmt = select(Post)
    if year:
        stmt = stmt.where(extract("year", Post.date) == year)
    if q:
        stmt = stmt.where(Post.title.ilike("%" + q.replace("\\", "\\\\").replace("%", "\\%")
                                           .replace("_", "\\_") + "%", escape="\\"))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(1, page)
    items = db.session.scalars(stmt.order_by(Post.date.desc(), Post.id.desc())
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(items), total, page, per_page)


def post_years() -> list[int]:
    years = db.session.scalars(select(extract("year", Post.date)).distinct()).all()
    return sorted({int(y) for y in years}, reverse=True)


def get_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound(f"No post {post_id}.")
    return post


def post_comments(post_id: int) -> list[Comment]:
    return list(db.session.scalars(select(Comment).where(Comment.post_id == post_id)
                                   .order_by(Comment.position)))


def reading_comments(post_id: int) -> list:
    """The reading page's comments as plain rows (id, parent_id, path, depth, text), in thread
    order: the page only prints them, so no ORM objects."""
    return db.session.connection().execute(
        select(Comment.id, Comment.parent_id, Comment.path, Comment.depth, Comment.text)
        .where(Comment.post_id == post_id).order_by(Comment.position)).all()


CORRECTIONS = ("correct_text", "correct_title")


def reading_corrections(post_id: int) -> list:
    """The corrections of the post's title, body and comments, as plain rows (entity_type,
    entity_id, action, at, before, reason, id, who corrected or None), newest first: the old texts are in `before`
    (corpus.services._correct). One statement whatever the number of comments or corrections;
    a post never corrected reads no row, so no old text is loaded for it.

    Two index lookups joined by UNION ALL rather than one OR: under an OR PostgreSQL cannot
    turn the comments' subquery into a join and would scan every audit event.
    The comments' ids come as a subquery (IN), not a join: SQLite then looks each one up in
    the audit index instead of reading every comment correction in the corpus (5 ms for 20,000)."""
    who = select(func.coalesce(func.nullif(User.display_name, ""), User.username)).where(
        User.id == AuditEvent.actor_id).scalar_subquery()   # None: the command line
    cols = (AuditEvent.entity_type, AuditEvent.entity_id, AuditEvent.action, AuditEvent.at,
            AuditEvent.before, AuditEvent.reason, AuditEvent.id, who)
    on_post = select(*cols).where(AuditEvent.entity_type == "post", AuditEvent.entity_id == post_id,
                                  AuditEvent.action.in_(CORRECTIONS))
    on_comments = select(*cols).where(
        AuditEvent.entity_type == "comment", AuditEvent.action == "correct_text",
        AuditEvent.entity_id.in_(select(Comment.id).where(Comment.post_id == post_id)))
    rows = db.session.connection().execute(union_all(on_post, on_comments)).all()
    return sorted(rows, key=lambda r: (r[3], r[6]), reverse=True)


@dataclass
class ReadingClaims:
    """The rows behind the reading page's claims: plain tuples of the columns the page shows."""
    spans: list          # (claim_id, post_id, comment_id, start, end, comment_path, comment_position,
                         #  statement, category) for every live span of every live claim on the post
    sources: list        # (claim_id, url, title, stance, retracted, created_by_id)
    verdicts: list       # (claim_id, reviewer_id, rating) of the current (not superseded) verdicts
    open_flags: dict     # claim id -> number of flags not cleared
    adjudications: dict  # claim id -> rating of the live adjudication


def reading_claims(post_id: int) -> ReadingClaims:
    """Every live claim with a live appearance on the post, in five queries whatever their number.

    The reading page shows a thousand claims at once, so this reads narrow columns as plain rows
    on the session's connection (no ORM objects or ORM row handling, enums left as their stored
    strings, no user names or rationales) and lets the database find the claims by a subquery
    rather than a list of ids. The rules are those of annotations' load_claims and review_state;
    tests/functional/test_post_page_speed.py holds the two to the same answers."""
    on_post = select(ClaimSpan.claim_id).where(ClaimSpan.post_id == post_id, ClaimSpan.retracted_at.is_(None))
    live = select(Claim.id).where(Claim.id.in_(on_post), Claim.retracted_at.is_(None)).scalar_subquery()
    conn = db.session.connection()
    spans = conn.execute(
        select(ClaimSpan.claim_id, ClaimSpan.post_id, ClaimSpan.comment_id, ClaimSpan.start, ClaimSpan.end,
               Comment.path, Comment.position, Claim.statement, Category.name)
        .join(Claim, Claim.id == ClaimSpan.claim_id).join(Category, Category.id == Claim.category_id)
        .outerjoin(Comment, Comment.id == ClaimSpan.comment_id)
        .where(ClaimSpan.claim_id.in_(live), ClaimSpan.retracted_at.is_(None))
        .order_by(Claim.id, ClaimSpan.id)).all()
    if not spans:
        return ReadingClaims([], [], [], {}, {})
    sources = conn.execute(
        select(Source.claim_id, Source.url, Source.title, type_coerce(Source.stance, String),
               Source.retracted_at.is_not(None), Source.created_by_id)
        .where(Source.claim_id.in_(live)).order_by(Source.claim_id, Source.id)).all()
    verdicts = conn.execute(
        select(Verdict.claim_id, Verdict.reviewer_id, type_coerce(Verdict.rating, String))
        .where(Verdict.claim_id.in_(live), Verdict.superseded_at.is_(None))
        .order_by(Verdict.claim_id, Verdict.id)).all()
    flags = dict(conn.execute(
        select(Flag.claim_id, func.count()).where(Flag.claim_id.in_(live), Flag.cleared_at.is_(None))
        .group_by(Flag.claim_id)).all())
    adjudications = dict(conn.execute(
        select(Adjudication.claim_id, type_coerce(Adjudication.rating, String))
        .where(Adjudication.claim_id.in_(live), Adjudication.reopened_at.is_(None))
        .order_by(Adjudication.id)).all())
    return ReadingClaims(spans, sources, verdicts, flags, adjudications)


def stored_content_hashes(slugs: list[str]) -> dict[str, str]:
    """Today's content hash (corpus/parser.content_hash) of the stored posts with these slugs,
    computed from their rows in two queries: for posts whose stored hash was made with an older
    formula, so the same content is recognised as the same post."""
    if not slugs:
        return {}
    posts = db.session.execute(select(Post.id, Post.slug, Post.date, Post.title, Post.body,
                                      Post.declared_comment_count).where(Post.slug.in_(slugs))).all()
    comments: dict[int, list] = {p.id: [] for p in posts}
    for post_id, path, text in db.session.execute(
            select(Comment.post_id, Comment.path, Comment.text).where(Comment.post_id.in_(list(comments)))
            .order_by(Comment.post_id, Comment.position)):
        comments[post_id].append((path, text))
    return {p.slug: content_hash(p.date, p.title, p.body, p.declared_comment_count, comments[p.id]) for p in posts}
