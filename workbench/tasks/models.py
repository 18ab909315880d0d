"""A task: annotate a post, check a claim, or adjudicate a claim."""
import enum
from datetime import date, datetime
from uuid import uuid4

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..db import utcnow
from ..extensions import db
from ..types import str_enum


class TaskKind(str, enum.Enum):
    ANNOTATE_POST = "annotate_post"
    CHECK_CLAIM = "check_claim"
    ADJUDICATE_CLAIM = "adjudicate_claim"


class TaskStatus(str, enum.Enum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class Task(db.Model):
    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_assignee_status", "assignee_id", "status", "due_date"),
        # No two open tasks of one kind for the same claim and person, even under concurrent bulk runs.
        Index("uq_task_open_claim", "kind", "claim_id", "assignee_id", unique=True,
              sqlite_where=text("status IN ('open', 'in_progress') AND claim_id IS NOT NULL"),
              postgresql_where=text("status IN ('open', 'in_progress') AND claim_id IS NOT NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: uuid4().hex)  # stable id for export and merge
    kind: Mapped[TaskKind] = mapped_column(str_enum(TaskKind, 24))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"), index=True)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    due_date: Mapped[date | None]
    priority: Mapped[int] = mapped_column(default=2)  # 1 high, 2 normal, 3 low
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus, 16), default=TaskStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    assignee: Mapped[User] = relationship(foreign_keys=[assignee_id])

    __mapper_args__ = {"version_id_col": version}
