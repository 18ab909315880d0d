"""Dispute flags, discussion posts, adjudications and workbench-wide settings."""
from datetime import datetime
from uuid import uuid4

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..annotations.models import Rating
from ..auth.models import User
from ..db import utcnow
from ..extensions import db
from ..types import str_enum


class Flag(db.Model):
    """A reviewer flags a claim as disputed with a reason; a lead may clear it."""
    __tablename__ = "flag"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: uuid4().hex)  # stable id for export and merge
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cleared_at: Mapped[datetime | None]
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])


class DiscussionPost(db.Model):
    __tablename__ = "discussion_post"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: uuid4().hex)  # stable id for export and merge
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[User] = relationship()


class Adjudication(db.Model):
    """A lead's final verdict. Reopening keeps the row and stamps why; a new one may follow."""
    __tablename__ = "adjudication"
    # At most one live (not reopened) adjudication per claim, even when two leads submit at once.
    __table_args__ = (
        Index("uq_adjudication_live", "claim_id", unique=True,
              sqlite_where=text("reopened_at IS NULL"), postgresql_where=text("reopened_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: uuid4().hex)  # stable id for export and merge
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    rating: Mapped[Rating] = mapped_column(str_enum(Rating, 16))
    reasoning: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reopened_at: Mapped[datetime | None]
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reopen_reason: Mapped[str | None] = mapped_column(Text)
    lead: Mapped[User] = relationship(foreign_keys=[lead_id])


class Setting(db.Model):
    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
