"""Configuration: defaults, instance/config.py overrides, DATABASE_URL from the environment."""
import os
import secrets
from pathlib import Path

from .db import SQLITE_BUSY_TIMEOUT_SECONDS


def _secret_key(instance_path: str) -> str:
    """Read the instance secret key, generating it on first run (never a default in the code)."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def load_config(app, test_config=None) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'workbench.sqlite'}",
        SQLALCHEMY_ENGINE_OPTIONS={},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in one before_request hook, see security.py
        WTF_CSRF_TIME_LIMIT=None,
        PERMANENT_SESSION_LIFETIME=12 * 3600,  # a working day; then log in again
        POSTS_PER_PAGE=25,
        LOGIN_MAX_FAILURES=5,       # then the account is locked for LOGIN_LOCK_SECONDS
        LOGIN_SLOWDOWN_AFTER=3,     # from here each failure makes the next try wait 2, 4, … s
        LOGIN_LOCK_SECONDS=900,
        BLIND_REVIEW_DEFAULT=True,
        # Uploads (the Import page and POST /api/v1/imports): a larger request is refused with a
        # 413 that names the limit; match the proxy's limit (nginx client_max_body_size 200m).
        MAX_CONTENT_LENGTH=200 * 2**20,
        IMPORT_MAX_UNPACKED_BYTES=2**30,       # a .zip may unpack to at most this much (zip bombs)
        IMPORT_MAX_ARCHIVE_FILES=20_000,       # and hold at most this many members
        # How many reverse proxies (nginx, …) sit in front of the server: their X-Forwarded-For
        # and -Proto are then believed, so log-in throttling counts the real client address.
        # 0 (the default) trusts no header: right when clients connect to the server directly.
        TRUSTED_PROXIES=int(os.environ.get("WORKBENCH_TRUSTED_PROXIES") or 0),
        # A busy database: how long a write waits for another one's lock before the request is
        # answered 503 "busy" (nothing saved, send it again). SQLite: every connection, the command
        # line too (which then stops with one line). PostgreSQL: web requests only (lock_timeout);
        # the command line (import, restore, migrations) waits as long as it takes.
        SQLITE_BUSY_TIMEOUT_SECONDS=SQLITE_BUSY_TIMEOUT_SECONDS,
        REQUEST_LOCK_TIMEOUT_SECONDS=5,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    env_url = os.environ.get("DATABASE_URL")
    if env_url and not (test_config and "SQLALCHEMY_DATABASE_URI" in test_config):
        app.config["SQLALCHEMY_DATABASE_URI"] = env_url
    _engine_options(app)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)
    _trust_proxies(app)
    if os.environ.get("WORKBENCH_HTTPS") or app.config.get("PREFERRED_URL_SCHEME") == "https":
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


def _engine_options(app) -> None:
    """The engine's options for the database in use; anything set in instance/config.py wins."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    connect_args = dict(options.get("connect_args", {}))
    if url.startswith("postgresql"):
        # A server restart or an idle timeout must cost a reconnect, not a failed request.
        options = options or {"pool_pre_ping": True}
        # Every connection starts with the request lock timeout (no statement per transaction);
        # transactions outside a request (the command line) lift it (workbench/db.py).
        lock_ms = max(0, round(float(app.config.get("REQUEST_LOCK_TIMEOUT_SECONDS") or 0) * 1000))
        if lock_ms:
            connect_args["options"] = f"-c lock_timeout={lock_ms} {connect_args.get('options', '')}".strip()
    elif url.startswith("sqlite"):
        connect_args.setdefault("timeout", float(app.config["SQLITE_BUSY_TIMEOUT_SECONDS"]))
    if connect_args:
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _trust_proxies(app) -> None:
    n = int(app.config.get("TRUSTED_PROXIES") or 0)
    if n > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
