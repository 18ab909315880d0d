"""One exception family for the workbench, and the one place that turns it into responses."""
from flask import jsonify, make_response, render_template, request
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.exceptions import HTTPException


class WorkbenchError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, field: str | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra


class BadRequest(WorkbenchError):
    status, code = 400, "bad_request"


class Unauthorized(WorkbenchError):
    status, code = 401, "unauthorized"


class Forbidden(WorkbenchError):
    status, code = 403, "forbidden"


class NotFound(WorkbenchError):
    status, code = 404, "not_found"


class Conflict(WorkbenchError):
    status, code = 409, "conflict"


class ValidationError(WorkbenchError):
    status, code = 422, "invalid"


class InvalidSpan(ValidationError):
    code = "invalid_span"


class Locked(WorkbenchError):
    status, code = 429, "locked"


class TryAgain(Conflict):
    code = "try_again"        # the database aborted the transaction for a concurrent one


class Busy(WorkbenchError):
    status, code = 503, "busy"   # a lock held elsewhere for longer than we wait


class PayloadTooLarge(WorkbenchError):
    status, code = 413, "too_large"


class UnsupportedMediaType(WorkbenchError):
    status, code = 415, "unsupported_type"


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, code: str, message: str, field: str | None = None, extra=None):
    if wants_json():
        body = {"error": {"code": code, "message": message, "field": field}}
        if extra:
            body["error"].update(extra)
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def human_size(n: int) -> str:
    for unit, size in (("GB", 2**30), ("MB", 2**20)):
        if n >= size:
            return f"{n / size:,.1f} {unit}".replace(".0 ", " ")
    return f"{n / 1024:,.0f} KB"


def too_large_message() -> str:
    """Werkzeug's 413 says only "too large": say which limit was passed (MAX_CONTENT_LENGTH, or
    MAX_FORM_PARTS, the number of files and fields in one form)."""
    from flask import current_app
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    parts = current_app.config.get("MAX_FORM_PARTS") or 1000
    if limit and (request.content_length or 0) > limit:
        return (f"The upload is {human_size(request.content_length)}; the limit is {human_size(limit)} per "
                "request. Upload fewer files at a time; nothing was imported.")
    return (f"The upload passes a limit: at most {human_size(limit)} per request and {parts} files and "
            "fields per form. For many files, upload one .zip archive; nothing was imported.")


TRANSACTION_ROLLBACK = ("40001", "40P01")  # serialization_failure, deadlock_detected


def _sqlstate(exc: DBAPIError) -> str | None:
    """PostgreSQL's SQLSTATE of the error (psycopg 3 names it .sqlstate, psycopg2 .pgcode)."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def transaction_rollback(exc: DBAPIError) -> bool:
    """Whether the database aborted the transaction only because of a concurrent one
    (SQLSTATE class 40)."""
    return _sqlstate(exc) in TRANSACTION_ROLLBACK


SQLITE_BUSY = 5            # primary result code; the extended ones (BUSY_SNAPSHOT, …) share its low byte
LOCK_NOT_AVAILABLE = "55P03"   # PostgreSQL: lock_timeout passed (or NOWAIT) waiting for a lock
BUSY_RETRY_AFTER = 5       # seconds, the Retry-After of a 503 busy
BUSY_MESSAGE = ("The database is busy with another change, so nothing was saved. "
                "Send the same action again in a few seconds.")


def database_busy(exc: DBAPIError) -> bool:
    """Whether the statement gave up waiting for a lock another connection holds: SQLite's
    SQLITE_BUSY ("database is locked") after its busy timeout, PostgreSQL's lock_not_available
    after the request's lock_timeout (workbench/db.py). The transaction is lost and nothing of it
    was written; the same action sent again may well succeed."""
    if _sqlstate(exc) == LOCK_NOT_AVAILABLE:
        return True
    orig = getattr(exc, "orig", None)
    if type(orig).__module__.startswith("sqlite3"):
        code = getattr(orig, "sqlite_errorcode", None)   # Python 3.11+
        if code is not None:
            return code & 0xFF == SQLITE_BUSY
        return "database is locked" in str(orig)
    return False


def register_error_handlers(app) -> None:
    from .db import write_intent
    from .extensions import db

    @app.errorhandler(WorkbenchError)
    def _workbench_error(exc: WorkbenchError):
        db.session.rollback()
        # make_response: an HTML answer is a (page, status) pair whose page is a plain string.
        response = make_response(error_response(exc.status, exc.code, exc.message, exc.field, exc.extra))
        if exc.extra.get("retry_after"):
            response.headers["Retry-After"] = str(exc.extra["retry_after"])
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        if exc.code == 400 and "CSRF" in (exc.description or ""):
            code = "csrf_failed"
        if exc.code == 413:
            return error_response(413, "too_large", too_large_message())
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError):
        # A unique index refused a write that raced another one (two windows, two workers):
        # the user's change was not applied, and trying again against fresh data is the fix.
        db.session.rollback()
        return error_response(409, "conflict", "This change collides with one made at the same moment "
                              "(or with data that already exists); nothing was saved. Reload and try again.")

    @app.errorhandler(DBAPIError)
    def _database_error(exc: DBAPIError):
        # PostgreSQL gave up on this transaction because of another one running at the same time:
        # a serialization failure (40001: a REPEATABLE READ or SERIALIZABLE transaction wrote a
        # row another transaction changed since its snapshot) or a deadlock (40P01). The whole
        # transaction was rolled back, so nothing of it was saved, and the same request sent again
        # runs against fresh data. Not retried here: a view may have committed earlier work or
        # consumed its upload, so only the client knows whether sending it again is right.
        if transaction_rollback(exc):
            return _workbench_error(TryAgain("Someone else changed the same data at the same moment, "
                                             "so this change was not saved. Reload and try again."))
        # Another connection held the lock this request needed for longer than the busy timeout
        # (SQLite) or lock_timeout (PostgreSQL): a temporary state of the server, so a 503 with
        # Retry-After; the data this request meant to change is unchanged, so the same request
        # can be sent again as it is.
        if database_busy(exc):
            # The error page is a read: on SQLite a deferred BEGIN, which the writer holding the
            # lock does not block (WAL), should the page load the user again; undone with the
            # request's own intent when the request ends (security.py).
            write_intent.set(False)
            return _workbench_error(Busy(BUSY_MESSAGE, retry_after=BUSY_RETRY_AFTER))
        return _unexpected(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        db.session.rollback()
        if app.config.get("PROPAGATE_UNEXPECTED"):
            raise exc
        app.logger.exception("Unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side; nothing was saved.")
