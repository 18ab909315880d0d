"""Imports every model module, so metadata (and Alembic) sees every table."""
from .annotations.models import Category, Claim, ClaimSpan, Rating, Source, Stance, Verdict  # noqa: F401
from .audit import AuditEvent  # noqa: F401
from .auth.models import ApiToken, LoginThrottle, User, UserSession  # noqa: F401
from .corpus.models import Comment, Post  # noqa: F401
from .review.models import Adjudication, DiscussionPost, Flag, Setting  # noqa: F401
from .tasks.models import Task, TaskKind, TaskStatus  # noqa: F401
from .search.models import ClaimFigure, SuggestionDismissal  # noqa: F401
