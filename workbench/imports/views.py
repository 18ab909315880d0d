"""The Import page (admins): upload dump files, a .zip of them, or one native export; the
report of the run is shown on the same page. All or nothing: a failed file leaves the
database as it was, and the page says which file, which line and why."""
from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from ..errors import WorkbenchError, error_response, human_size, too_large_message
from ..extensions import db
from ..permissions import Permission, can, require
from .forms import UploadForm
from .history import recent_imports
from .services import import_upload
from .uploads import Upload

bp = Blueprint("imports", __name__)
NAV_ITEMS = [("imports.index", "Import", Permission.IMPORT)]


def accept_changes_from_request() -> bool:
    """The "correct stored posts" option: a checkbox on the page, a form field for scripts."""
    return request.form.get("accept_changes", "").lower() in ("y", "yes", "on", "true", "1")


def uploads_from_request() -> list[Upload]:
    """The files of a multipart request, from the field "files" (or "file"), with their own names."""
    files = request.files.getlist("files") + request.files.getlist("file")
    return [Upload(f.filename or "", f.stream) for f in files]


def limits() -> dict:
    config = current_app.config
    return {"request": human_size(config.get("MAX_CONTENT_LENGTH") or 0),
            "unpacked": human_size(config["IMPORT_MAX_UNPACKED_BYTES"]),
            "archive_files": config["IMPORT_MAX_ARCHIVE_FILES"]}


def _page(status=200, outcome=None, error=None, accept_changes=False):
    return render_template("imports/index.html", form=UploadForm(formdata=None), outcome=outcome, error=error,
                           limits=limits(), accept_changes=accept_changes, history=recent_imports()), status


@bp.get("/imports")
def index():
    require(current_user, Permission.IMPORT)
    return _page()


@bp.post("/imports")
def upload():
    require(current_user, Permission.IMPORT)
    accept = accept_changes_from_request()
    try:
        outcome = import_upload(current_user, uploads_from_request(), accept)
    except WorkbenchError as exc:   # the upload itself was refused: nothing was written
        db.session.rollback()
        return _page(exc.status, error=exc.message, accept_changes=accept)
    if outcome.ok:
        db.session.commit()
        return _page(200, outcome, accept_changes=accept)
    db.session.rollback()
    return _page(422, outcome, accept_changes=accept)


@bp.errorhandler(413)
def _too_large(exc):
    """A request over MAX_CONTENT_LENGTH, refused before it is read: the page again, saying the limit."""
    if not can(current_user, Permission.IMPORT):
        return error_response(413, "too_large", too_large_message())
    return _page(413, error=too_large_message())
