"""The audit history: every change to a claim, source, verdict, task or adjudication."""
import json
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .auth.models import User
from .db import utcnow
from .extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity_type", "entity_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(32))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"), index=True)
    before: Mapped[str | None] = mapped_column(Text)  # JSON
    after: Mapped[str | None] = mapped_column(Text)   # JSON
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[User | None] = relationship()

    @property
    def before_data(self):
        return json.loads(self.before) if self.before else None

    @property
    def after_data(self):
        return json.loads(self.after) if self.after else None


def record(actor, entity_type: str, entity_id: int, action: str, *, before=None, after=None,
           reason: str | None = None, claim_id: int | None = None) -> AuditEvent:
    """Add one audit event to the session (the caller's transaction commits it)."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None), entity_type=entity_type, entity_id=entity_id,
        action=action, claim_id=claim_id, reason=reason or None,
        before=None if before is None else json.dumps(before, sort_keys=True, default=str),
        after=None if after is None else json.dumps(after, sort_keys=True, default=str))
    db.session.add(event)
    return event
