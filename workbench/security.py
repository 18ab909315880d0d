"""Login on every route, CSRF on every state change, and the response security headers.

All of it sits in before/after-request hooks, so no route can forget it: a route is
public only by being listed in PUBLIC_ENDPOINTS.
"""
from flask import g, redirect, request, session, url_for
from flask_login import current_user

from .db import write_intent
from .errors import error_response
from .extensions import csrf, login_manager

PUBLIC_ENDPOINTS = {"auth.login", "static"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


def init_security(app) -> None:
    login_manager.login_view = "auth.login"

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
        write_intent.set(request.method not in SAFE_METHODS)
        if request.endpoint in PUBLIC_ENDPOINTS:
            if request.method not in SAFE_METHODS:
                csrf.protect()
            return None
        if not current_user.is_authenticated:
            if request.path.startswith("/api/"):
                return error_response(401, "unauthorized", "Log in or send an API token.")
            if request.method in SAFE_METHODS:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            return error_response(401, "unauthorized", "Your session has ended; log in again.")
        if request.method not in SAFE_METHODS and not g.get("token_auth"):
            csrf.protect()
        return None

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
