"""Read routes for posts; other domains add their routes to this blueprint."""
from flask import Blueprint, current_app, jsonify, request

from ..corpus import presenters, queries

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def int_arg(name: str, default: int) -> int:
    from ..errors import BadRequest
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number.", field=name)
    if value < 1:
        raise BadRequest(f"{name} must be 1 or more.", field=name)
    return value


@bp.get("/posts")
def list_posts():
    page = queries.list_posts(int_arg("page", 1), min(int_arg("per_page", current_app.config["POSTS_PER_PAGE"]), 200))
    return jsonify(items=[presenters.post_summary(p) for p in page.items], total=page.total,
                   page=page.page, pages=page.pages)


@bp.get("/posts/<int:post_id>")
def get_post(post_id: int):
    post = queries.get_post(post_id)
    return jsonify(presenters.post_detail(post, queries.post_comments(post_id)))
