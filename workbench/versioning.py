"""Optimistic concurrency for versioned rows (claims, tasks): the edit names the version it was
made from; a stale one, or one that loses a race at the UPDATE itself, gets 409."""
from sqlalchemy.orm.exc import StaleDataError

from .db import utcnow
from .errors import Conflict, ValidationError
from .extensions import db


def check_version(obj, version, noun: str) -> None:
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationError(f"version (a whole number, from your copy of the {noun}) is required.",
                              field="version")
    if version != obj.version:
        raise Conflict(f"The {noun} was changed by someone else (you edited version {version}, "
                       f"it is now at version {obj.version}). Reload it and apply your change again.",
                       field="version", current_version=obj.version)


def save_versioned(obj, noun: str) -> None:
    """Flush with the version counter in the UPDATE's WHERE clause (the model's version_id_col)."""
    obj.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(f"The {noun} was changed by someone else at the same moment. Reload it and "
                       "apply your change again.", field="version")
