"""Workbench-wide settings an admin can change (stored in the database, shared by all workers)."""
from flask import current_app

from .extensions import db
from .review.models import Setting

DEFAULTS = {"blind_review": "1", "show_suggestions": "1"}


def get_flag(key: str) -> bool:
    row = db.session.get(Setting, key)
    if row is None:
        if key == "blind_review":
            return bool(current_app.config.get("BLIND_REVIEW_DEFAULT", True))
        return DEFAULTS.get(key, "0") == "1"
    return row.value == "1"


def set_flag(key: str, value: bool) -> None:
    row = db.session.get(Setting, key)
    if row is None:
        row = Setting(key=key, value="1" if value else "0")
        db.session.add(row)
    else:
        row.value = "1" if value else "0"
    db.session.flush()
