"""Read-side queries for the post index and the post page: a fixed number of queries each."""
from dataclasses import dataclass

from sqlalchemy import extract, func, select

from ..errors import NotFound
from ..extensions import db
from .models import Comment, Post


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
