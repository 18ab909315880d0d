"""The post index and the reading page."""
from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user

from ..annotations.presenters import post_review_summary
from ..settings import get_flag

from . import presenters, queries

bp = Blueprint("corpus", __name__)
NAV_ITEMS = [("corpus.index", "Posts", None)]


def _int_arg(name: str, default=None):
    try:
        return int(request.args.get(name, ""))
    except ValueError:
        return default


@bp.get("/")
def index():
    year, q = _int_arg("year"), (request.args.get("q") or "").strip()
    page = queries.list_posts(_int_arg("page", 1), current_app.config["POSTS_PER_PAGE"], year, q or None)
    review = post_review_summary([p.id for p in page.items], current_user)
    return render_template("corpus/index.html", page=page, years=queries.post_years(), year=year, q=q,
                           review=review)


@bp.get("/posts/<int:post_id>")
def post(post_id: int):
    post = queries.get_post(post_id)
    comments = queries.reading_comments(post_id)
    thread = presenters.thread(comments)
    # Texts corrected by a re-import, with their earlier versions: one query, no row when none.
    corrections = presenters.corrections(queries.reading_corrections(post_id), post, comments)
    # The claims for the highlights and the side panel: a fixed number of queries, narrow rows
    # (one when the post has none).
    rows = queries.reading_claims(post_id)
    claims = presenters.reading_claims(rows, post_id, current_user, bool(rows.spans) and get_flag("blind_review"))
    return render_template("corpus/post.html", post=post, thread=thread, claims=claims, corrections=corrections,
                           panel=presenters.panel_html(claims, url_for("annotations.claim", claim_id=0)[:-1]),
                           claims_json=presenters.claims_json(claims))
