"""Suggestions a reviewer dismissed (never shown again) and the figure parsed into a claim."""
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import utcnow
from ..extensions import db


class SuggestionDismissal(db.Model):
    """A check-worthy sentence somebody judged not worth a claim, remembered by its span."""
    __tablename__ = "suggestion_dismissal"
    __table_args__ = (Index("ix_suggestion_dismissal_unit", "post_id", "comment_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"))
    start: Mapped[int]
    end: Mapped[int]
    exact: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    dismissed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    dismissed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClaimFigure(db.Model):
    """The figure a claim states, normalised (value, unit, period): matches claims written differently."""
    __tablename__ = "claim_figure"
    __table_args__ = (Index("ix_claim_figure_unit_value", "unit", "value"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32))
    period: Mapped[str | None] = mapped_column(String(32))
    raw: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
