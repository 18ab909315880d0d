"""Login on every route, CSRF on every state change, and the response security headers.

All of it sits in before/after-request hooks, so no route can forget it: a route is
public only by being listed in PUBLIC_ENDPOINTS.
"""
from flask import g, redirect, request, session, url_for
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter
from flask_login import current_user

from .db import write_intent
from .errors import error_response
from .extensions import csrf, login_manager

PUBLIC_ENDPOINTS = {"auth.login", "static"}
PUBLIC_MAX_BODY = 64 * 1024   # bytes a request to a public endpoint may carry
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


class _GuardedJSON(DefaultJSONProvider):
    """Refuses pathologically nested JSON as malformed (a 400) instead of letting the
    decoder's RecursionError become a 500."""

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply")
        if _has_nul(value):
            raise ValueError("JSON text contains a NUL character or a whole number beyond ±2147483647")
        return value


MAX_INT = 2**31 - 1  # every whole number the API takes (ids, offsets, versions, counts) is a 32-bit column


def _has_nul(value) -> bool:
    """NUL characters are never text a person typed, and PostgreSQL cannot store them; whole
    numbers beyond 32 bits fit no column. Both are refused at the door as malformed input, on
    SQLite too, so both backends agree (and no service has to remember it)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            if not -MAX_INT <= item <= MAX_INT:
                return True
        elif isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


def _nul_in_args() -> bool:
    return _has_nul(list(request.args.items(multi=True)))


def _nul_in_form() -> bool:
    """Reads the form: only after the log-in check, so no one without a session or token can
    make the server read (and spool to disk) a large upload."""
    return request.method not in SAFE_METHODS and request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data") and _has_nul(list(request.form.items(multi=True)))


class _RowId(IntegerConverter):
    """<int:…> in URLs matches only ids a database column can hold (PostgreSQL's integer is
    32-bit), so /claims/99999999999 is a 404, never a database error."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_security(app) -> None:
    login_manager.login_view = "auth.login"
    app.json = _GuardedJSON(app)
    app.url_map.converters["int"] = _RowId  # before any blueprint adds its rules

    @login_manager.user_loader
    def _load_user(user_id: str):
        from .auth.services import session_user
        try:
            return session_user(int(user_id), session.get("sid"))
        except ValueError:
            return None

    @login_manager.request_loader
    def _load_from_token(req):
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        from .auth.services import token_user
        user = token_user(header[7:].strip())
        if user is not None:
            g.token_auth = True  # no ambient credential, so no CSRF token needed
        return user

    @app.before_request
    def _guard():
        # GET, HEAD and OPTIONS never write: one deferred snapshot on SQLite, REPEATABLE READ
        # READ ONLY on PostgreSQL (workbench/db.py). Undone when the request ends, so the
        # caller's own work (a test, a script) keeps its intent.
        g.write_intent_token = write_intent.set(request.method not in SAFE_METHODS)
        if _nul_in_args():
            return error_response(400, "bad_request", "Text must not contain NUL characters.")
        public = request.endpoint in PUBLIC_ENDPOINTS
        if public:   # the log-in form is a few hundred bytes: no large body from strangers
            request.max_content_length = PUBLIC_MAX_BODY
        elif not current_user.is_authenticated:   # refused before the body is read
            if request.path.startswith("/api/"):
                return error_response(401, "unauthorized", "Log in or send an API token.")
            if request.method in SAFE_METHODS:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            return error_response(401, "unauthorized", "Your session has ended; log in again.")
        if _nul_in_form():
            return error_response(400, "bad_request", "Text must not contain NUL characters.")
        if public:
            if request.method not in SAFE_METHODS:
                csrf.protect()
            return None
        if request.method not in SAFE_METHODS and not g.get("token_auth"):
            csrf.protect()
        return None

    @app.teardown_request
    def _end_intent(_exc=None):
        token = g.pop("write_intent_token", None)
        if token is not None:
            try:
                write_intent.reset(token)
            except ValueError:  # ended in another context than it began: nothing to undo there
                pass

    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static":
            h.setdefault("Cache-Control", "no-store")
        if app.config.get("SESSION_COOKIE_SECURE"):
            # served over https: browsers must not fall back to http for a year
            h.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
