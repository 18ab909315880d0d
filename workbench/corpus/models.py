"""Posts and comments, held exactly as the dump gives them: claims are anchored to this text."""
import datetime as dt
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db


class Post(db.Model):
    __tablename__ = "post"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    date: Mapped[dt.date] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    declared_comment_count: Mapped[int | None]
    comment_count: Mapped[int] = mapped_column(default=0)
    source_name: Mapped[str] = mapped_column(String(300), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    comments: Mapped[list["Comment"]] = relationship(
        back_populates="post", order_by="Comment.position", cascade="all, delete-orphan")


class Comment(db.Model):
    __tablename__ = "comment"
    __table_args__ = (
        UniqueConstraint("post_id", "path"),
        Index("ix_comment_post_position", "post_id", "position"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"))
    path: Mapped[str] = mapped_column(String(64))   # "7", "7.2": the position in the thread
    position: Mapped[int]                            # thread order within the post
    depth: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)
    post: Mapped[Post] = relationship(back_populates="comments")

    @property
    def anchor(self) -> str:
        return "c" + self.path.replace(".", "-")
