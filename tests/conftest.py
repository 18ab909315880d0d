"""Test fixtures: a real database (SQLite by default, PostgreSQL when TEST_DATABASE_URL says so),
the schema built by the real migrations once per run, and emptied after every test."""
import contextvars
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from flask.testing import FlaskClient

from workbench import create_app

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CATEGORY_SQL = "SELECT name FROM category ORDER BY position"


def _database_url(tmp_root: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_root / 'test.sqlite'}"


def reset_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def db_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("db")
    url = _database_url(root)
    reset_schema(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True,
                      "INSTANCE_PATH": str(root / "instance")})
    from flask_migrate import upgrade
    with app.app_context():
        upgrade()
        from workbench.extensions import db
        db.engine.dispose()
    return url


FTS5_SHADOWS = ("_data", "_idx", "_content", "_docsize", "_config")


def fts5_tables(conn) -> list[str]:
    """SQLite FTS5 virtual tables (the search index of migration 0002)."""
    if conn.dialect.name != "sqlite":
        return []
    return [r[0] for r in conn.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts5%'"))]


@pytest.fixture(scope="session")
def _tables(db_url):
    engine = create_engine(db_url)
    with engine.connect() as conn:
        fts = fts5_tables(conn)
        categories = conn.execute(text("SELECT name, position FROM category")).all()
    skip = set(fts) | {f + s for f in fts for s in FTS5_SHADOWS} | {"alembic_version"}
    names = [t for t in inspect(engine).get_table_names() if t not in skip]
    engine.dispose()
    return names, categories, fts


def _empty_database(engine, names, categories, fts=()) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
        else:
            conn.execute(text("PRAGMA defer_foreign_keys=ON"))
            for n in names:
                conn.execute(text(f'DELETE FROM "{n}"'))
            # The FTS5 index's shadow tables are never emptied row by row (that corrupts the
            # index); the triggers have already removed every row, 'delete-all' resets the rest.
            for f in fts:
                conn.execute(text(f"INSERT INTO \"{f}\" (\"{f}\") VALUES ('delete-all')"))
        conn.execute(text("INSERT INTO category (name, position) VALUES (:name, :position)"),
                     [dict(name=n, position=p) for n, p in categories])


class IsolatedClient(FlaskClient):
    """Each request runs in an empty context, so it gets its own app context, `g` and
    database session, as in a real server, even though the test holds an app context open."""

    def open(self, *args, **kwargs):
        from flask import has_app_context
        if has_app_context():
            # End the test's own transaction first, as a separate process would see it:
            # its writes become visible, its SQLite lock is released, later reads are fresh.
            from workbench.extensions import db
            db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(db_url, _tables, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test-secret", "TESTING": True,
                      "INSTANCE_PATH": str(tmp_path / "instance"), "PROPAGATE_UNEXPECTED": True})
    app.test_client_class = IsolatedClient
    ctx = app.app_context()
    ctx.push()
    # The test's own session reads without taking SQLite's write lock, so a server thread
    # (browser tests) can write while the test holds a read transaction open. (On PostgreSQL
    # readers never block writers, and a transaction without write intent is READ ONLY there,
    # while a test writes its fixtures through this session: it keeps the default.)
    from workbench.db import write_intent
    token = write_intent.set(not db_url.startswith("sqlite"))
    yield app
    from workbench.extensions import db
    db.session.remove()
    _empty_database(db.engine, *_tables)
    db.engine.dispose()
    write_intent.reset(token)
    ctx.pop()


@pytest.fixture
def wipe(db, _tables):
    """Empties the database (categories kept) mid-test, as a fresh install would be."""
    def do():
        db.session.commit()
        db.session.close()
        _empty_database(db.engine, *_tables)
    return do


@pytest.fixture
def db(app):
    from workbench.extensions import db
    return db


@pytest.fixture
def seeded(app, db):
    from workbench.corpus.services import import_paths
    report = import_paths([SEEDS])
    db.session.commit()
    assert not report.failed
    return report


@pytest.fixture
def import_dumps(db, tmp_path):
    """import_dumps({"a.txt": dump_text, …}) writes the dump files, imports them and commits;
    returns the import report (asserting that every file imported)."""
    def do(dumps: dict):
        folder = tmp_path / "dumps"
        folder.mkdir(exist_ok=True)
        for name, content in dumps.items():
            (folder / name).write_text(content, "utf-8")
        from workbench.corpus.services import import_paths
        report = import_paths([folder / name for name in dumps])
        db.session.commit()
        assert not report.failed, report.summary()
        return report
    return do


@pytest.fixture
def post_and_reply(db, import_dumps):
    """post_and_reply(name, dump) imports one dump and returns its post and its reply 1.1."""
    def do(name: str, dump: str):
        from sqlalchemy import select
        from workbench.corpus.models import Comment, Post
        import_dumps({name: dump})
        post = db.session.scalar(select(Post))
        reply = db.session.scalar(select(Comment).where(Comment.path == "1.1"))
        return post, reply
    return do


_counter = iter(range(1, 10**6))


@pytest.fixture
def make_user(app, db):
    from workbench.auth.services import create_user

    def make(role="reviewer", username=None, password="correct horse"):
        user = create_user(username or f"{role}{next(_counter)}", password, role)
        db.session.commit()
        return user
    return make


class Client:
    """The Flask test client, logged in, sending the CSRF token the way the pages' scripts do."""

    def __init__(self, flask_client, user=None):
        self.c = flask_client
        self.user = user
        self.csrf = None

    def login(self, username, password="correct horse"):
        token = self.fetch_csrf("/login")
        resp = self.c.post("/login", data={"username": username, "password": password, "csrf_token": token})
        self.csrf = self.fetch_csrf("/account") if resp.status_code == 302 else None
        return resp

    def fetch_csrf(self, path):
        html = self.c.get(path).get_data(as_text=True)
        m = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
        return m.group(1) if m else None

    def get(self, *a, **kw):
        return self.c.get(*a, **kw)

    def _send(self, method, path, json=None, data=None, **kw):
        headers = kw.pop("headers", {}) or {}
        if self.csrf:
            headers.setdefault("X-CSRFToken", self.csrf)
        return self.c.open(path, method=method, json=json, data=data, headers=headers, **kw)

    def post(self, path, json=None, data=None, **kw):
        return self._send("POST", path, json, data, **kw)

    def put(self, path, json=None, **kw):
        return self._send("PUT", path, json, **kw)

    def patch(self, path, json=None, **kw):
        return self._send("PATCH", path, json, **kw)

    def delete(self, path, **kw):
        return self._send("DELETE", path, **kw)


@pytest.fixture
def login(app, make_user):
    """login("lead") → a Client logged in as a new user with that role."""
    def do(role="reviewer", user=None):
        user = user or make_user(role)
        client = Client(app.test_client(), user)
        resp = client.login(user.username)
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return client
    return do


@pytest.fixture
def anon(app):
    return Client(app.test_client())


@pytest.fixture
def query_counter(db):
    """Counts SQL statements sent while the block runs."""
    from contextlib import contextmanager
    from sqlalchemy import event

    @contextmanager
    def count():
        box = {"n": 0, "sql": []}

        def on_exec(conn, cursor, statement, *args):
            box["n"] += 1
            box["sql"].append(statement)
        event.listen(db.engine, "before_cursor_execute", on_exec)
        try:
            yield box
        finally:
            event.remove(db.engine, "before_cursor_execute", on_exec)
    return count
