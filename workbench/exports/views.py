"""The export page: a form with the filters; submitting it streams the file as a download."""
from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import current_user

from ..db import write_intent
from ..errors import ValidationError
from ..permissions import Permission, require
from . import services
from .filters import parse_options

bp = Blueprint("exports", __name__)
NAV_ITEMS = [("exports.index", "Export", Permission.EXPORT)]


def _one_snapshot(chunks):
    """Flask ends the view's transaction (and its app context's session) when the view returns;
    the body is read in a new one as it streams, begun here without write intent: one deferred
    snapshot on SQLite, REPEATABLE READ READ ONLY on PostgreSQL, for every row of the file."""
    write_intent.set(False)
    yield from chunks


def download_response(fmt_key: str, options) -> Response:
    """Shared by the page and the API: headers now, the body as the loader walks the corpus."""
    fmt = services.get_format(fmt_key)
    chunks = services.export(current_user, fmt_key, options)
    return Response(stream_with_context(_one_snapshot(chunks)), mimetype=fmt.media_type, headers={
        "Content-Disposition": f'attachment; filename="{services.filename(fmt, options)}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


@bp.get("/exports")
def index():
    require(current_user, Permission.EXPORT)
    return render_template("exports/index.html", choices=services.form_choices(), values={}, error=None)


@bp.get("/exports/download")
def download():
    require(current_user, Permission.EXPORT)
    try:
        options = parse_options(request.args)
        return download_response(request.args.get("format", "jsonl"), options)
    except ValidationError as exc:
        return render_template("exports/index.html", choices=services.form_choices(), values=request.args,
                               error=exc), 422
