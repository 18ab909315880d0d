"""Claims, their appearances (spans), sources and verdicts.

A claim is one checkable statement. It appears at one or more spans of text; each span
is anchored twice (code-point offsets and exact quote with context), as in the W3C
TextPositionSelector and TextQuoteSelector. Nothing here is ever deleted: claims and
sources are retracted, verdicts superseded, and every change goes to the audit table.
"""
import enum
from datetime import date, datetime
from uuid import uuid4

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..db import utcnow
from ..extensions import db
from ..types import str_enum


class Rating(str, enum.Enum):
    """The verdict scale, ordinal from true to false; unverifiable stands apart."""
    TRUE = "true"
    MOSTLY_TRUE = "mostly_true"
    MIXED = "mixed"
    MOSTLY_FALSE = "mostly_false"
    FALSE = "false"
    UNVERIFIABLE = "unverifiable"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def rank(self) -> int | None:
        """Position on the ordinal scale, 1 (false) to 5 (true); None for unverifiable."""
        return {"true": 5, "mostly_true": 4, "mixed": 3, "mostly_false": 2, "false": 1}.get(self.value)


class Stance(str, enum.Enum):
    SUPPORTS = "supports"
    REFUTES = "refutes"
    CONTEXT = "context"


class Category(db.Model):
    __tablename__ = "category"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]


class Claim(db.Model):
    __tablename__ = "claim"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: uuid4().hex)  # stable id for export and merge
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"), index=True)  # of the first span
    statement: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    retracted_at: Mapped[datetime | None]
    retracted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    retract_reason: Mapped[str | None] = mapped_column(Text)

    category: Mapped[Category] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    spans: Mapped[list["ClaimSpan"]] = relationship(
        back_populates="claim", order_by="ClaimSpan.id")
    sources: Mapped[list["Source"]] = relationship(back_populates="claim", order_by="Source.id")
    verdicts: Mapped[list["Verdict"]] = relationship(back_populates="claim", order_by="Verdict.id")

    __mapper_args__ = {"version_id_col": version}


class ClaimSpan(db.Model):
    """One appearance of a claim: [start, end) in code points of one text unit."""
    __tablename__ = "claim_span"
    __table_args__ = (Index("ix_claim_span_post_comment", "post_id", "comment_id", "start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: uuid4().hex)  # stable id for export and merge
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"), index=True)
    start: Mapped[int]
    end: Mapped[int]
    exact: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(String(64), default="")
    suffix: Mapped[str] = mapped_column(String(64), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retracted_at: Mapped[datetime | None]
    claim: Mapped[Claim] = relationship(back_populates="spans")


class Source(db.Model):
    __tablename__ = "source"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: uuid4().hex)  # stable id for export and merge
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    publisher: Mapped[str] = mapped_column(Text, default="")
    quote: Mapped[str] = mapped_column(Text, default="")
    locator: Mapped[str] = mapped_column(Text, default="")
    stance: Mapped[Stance] = mapped_column(str_enum(Stance, 16), default=Stance.CONTEXT)
    accessed: Mapped[date | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retracted_at: Mapped[datetime | None]
    claim: Mapped[Claim] = relationship(back_populates="sources")
    created_by: Mapped[User] = relationship()


class Verdict(db.Model):
    """A reviewer's verdict. One current row per (claim, reviewer); older ones are history."""
    __tablename__ = "verdict"
    __table_args__ = (
        Index("uq_verdict_current", "claim_id", "reviewer_id", unique=True,
              sqlite_where=text("superseded_at IS NULL"),
              postgresql_where=text("superseded_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: uuid4().hex)  # stable id for export and merge
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    rating: Mapped[Rating] = mapped_column(str_enum(Rating, 16))
    rationale: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    superseded_at: Mapped[datetime | None]
    claim: Mapped[Claim] = relationship(back_populates="verdicts")
    reviewer: Mapped[User] = relationship()
