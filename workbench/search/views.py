"""The search page: one box, the filters, ranked results with highlighted snippets."""
from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from ..annotations.models import Category
from ..errors import ValidationError
from ..extensions import db
from . import services

bp = Blueprint("search", __name__)
NAV_ITEMS = [("search.index", "Search", None)]


def _page_arg() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 10**6))
    except ValueError:
        return 1


@bp.get("/search")
def index():
    q = (request.args.get("q") or "").strip()
    error, result = None, None
    try:
        filters = services.parse_filters(request.args)
        if q:
            result = services.search(current_user, q, filters, _page_arg())
    except ValidationError as exc:
        error = exc.message
    categories = db.session.scalars(select(Category.name).where(Category.archived_at.is_(None))
                                    .order_by(Category.position)).all()
    return render_template("search/index.html", q=q, result=result, error=error, args=request.args,
                           categories=categories, statuses=services.STATUSES)
