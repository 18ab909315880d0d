"""A busy database is a 503 "busy" the user can simply send again, never a 500.

SQLite: another connection holds the write lock (BEGIN IMMEDIATE and a write, from a raw sqlite3
connection) for longer than the app's busy timeout, so the request's BEGIN IMMEDIATE fails with
SQLITE_BUSY ("database is locked"). PostgreSQL: another connection holds a row or table lock (a
raw psycopg connection), so the request gives up at its lock_timeout with 55P03. Either way the
answer is a 503 with code "busy" and Retry-After, nothing of the request is written, and the very
same request succeeds once the lock is released. The command line, on SQLite, stops with one
line and exit code 1; on PostgreSQL it has no lock_timeout and waits.

The requests go to a second app on the same test database, configured with short timeouts (the
engine's busy timeout is fixed when it is created); its engine is disposed and every raw
connection closed after each test, pass or fail.
"""
import contextvars
import sqlite3
import threading
import time
from contextlib import closing

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from tests.conftest import Client, IsolatedClient

SHORT = 0.3   # seconds: the busy timeout (SQLite) and lock_timeout (PostgreSQL) of the app under test

DUMP = ("Tuesday 23 October 2018\n\nBusy database test\n\nCRCs were forecasting losses of nearly £300 million.\n\n"
        "1 comment:\n\n  1. Top comment\n\n    ReplyDelete\n    Replies\n"
        "    1. Great: 19 of 21 companies failed to meet their reoffending targets.\n\n      Delete\n")
OTHER_DUMP = DUMP.replace("Tuesday 23 October 2018", "Wednesday 24 October 2018").replace(
    "Busy database test", "Busy database import")
BUSY_TEXT = "nothing was saved"


@pytest.fixture
def sqlite_db(db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock and busy timeout; the PostgreSQL tests below hold row and table locks")
    return make_url(db_url).database


@pytest.fixture
def postgres_db(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's lock_timeout and SQLSTATE 55P03; the SQLite tests above hold the write lock")
    return make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def busy_app(app, db_url, tmp_path):
    """The workbench on the test database with short lock waits (the suite's `app` fixture stays
    pushed for the test's own session and empties the database afterwards)."""
    from workbench import create_app
    second = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test-secret", "TESTING": True,
                         "INSTANCE_PATH": str(tmp_path / "busy-instance"), "PROPAGATE_UNEXPECTED": True,
                         "SQLITE_BUSY_TIMEOUT_SECONDS": SHORT, "REQUEST_LOCK_TIMEOUT_SECONDS": SHORT})
    second.test_client_class = IsolatedClient
    yield second
    with second.app_context():
        from workbench.extensions import db as ext_db
        ext_db.engine.dispose()


@pytest.fixture
def client(busy_app, make_user):
    user = make_user("reviewer")
    c = Client(busy_app.test_client(), user)
    assert c.login(user.username).status_code == 302
    return c


@pytest.fixture
def corpus(post_and_reply):
    return post_and_reply("busy.txt", DUMP)


def claim_body(post, comment, statement="Busy probe: 19 of 21 companies missed their targets",
               exact="19 of 21 companies"):
    start = comment.text.index(exact)
    return {"post_id": post.id, "comment_id": comment.id, "start": start, "end": start + len(exact),
            "exact": exact, "statement": statement, "category": "reoffending",
            "sources": [{"url": "https://busy.example.org/source", "title": "Busy source", "stance": "supports"}]}


def count(db, model) -> int:
    db.session.commit()   # a fresh read: the test's own transaction sees what has been committed since
    return db.session.scalar(select(func.count()).select_from(model))


def assert_busy_json(resp):
    assert resp.status_code == 503, resp.get_data(as_text=True)
    error = resp.get_json()["error"]
    assert error["code"] == "busy" and BUSY_TEXT in error["message"] and "again" in error["message"]
    assert error["retry_after"] == int(resp.headers["Retry-After"]) and 1 <= int(resp.headers["Retry-After"]) <= 30


def assert_busy_page(resp):
    assert resp.status_code == 503 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert "<h1>503</h1>" in html and BUSY_TEXT in html and "Something went wrong" not in html
    assert 1 <= int(resp.headers["Retry-After"]) <= 30


# --- SQLite: the write lock held by another connection ---

class SqliteWriteLock:
    """Another process writing: a raw sqlite3 connection inside BEGIN IMMEDIATE with a write done
    (an exclusive lock in `exclusive` mode, which also keeps readers out)."""

    def __init__(self, path: str, exclusive: bool = False):
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=5)
        if exclusive:
            self.conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        self.conn.execute("BEGIN EXCLUSIVE" if exclusive else "BEGIN IMMEDIATE")
        self.conn.execute("UPDATE category SET position = position")

    def release(self):
        if self.conn is not None:
            self.conn.rollback()
            self.conn.close()
            self.conn = None


@pytest.fixture
def sqlite_lock(sqlite_db, db):
    held = []

    def take(exclusive=False):
        db.session.commit()   # the test's own session holds nothing either
        if exclusive:   # in WAL mode an open connection keeps a shared lock on the file: close them
            db.engine.dispose()
        held.append(SqliteWriteLock(sqlite_db, exclusive))
        return held[-1]
    yield take
    for lock in held:
        lock.release()


def test_sqlite_locked_json_write_is_a_503_busy_then_succeeds_when_released(corpus, client, sqlite_lock, db):
    from workbench.annotations.models import Claim
    post, reply = corpus
    body = claim_body(post, reply)
    lock = sqlite_lock()
    started = time.monotonic()
    resp = client.post("/api/v1/claims", json=body)
    assert_busy_json(resp)
    assert time.monotonic() - started < 5, "the request did not use the configured busy timeout"
    assert count(db, Claim) == 0
    lock.release()
    again = client.post("/api/v1/claims", json=body)
    assert again.status_code == 201, again.get_data(as_text=True)
    assert count(db, Claim) == 1


def test_sqlite_locked_form_post_is_the_503_page_then_succeeds_when_released(corpus, client, sqlite_lock, db):
    from workbench.annotations.models import Source
    post, reply = corpus
    claim = client.post("/api/v1/claims", json=claim_body(post, reply)).get_json()
    form = {"url": "https://busy.example.org/form-source", "stance": "refutes", "csrf_token": client.csrf}
    lock = sqlite_lock()
    assert_busy_page(client.post(f"/claims/{claim['id']}/sources", data=form))
    assert count(db, Source) == 1
    lock.release()
    resp = client.post(f"/claims/{claim['id']}/sources", data=form)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    assert count(db, Source) == 2


def test_sqlite_busy_timeout_comes_from_the_config(busy_app, sqlite_db):
    from workbench.extensions import db as ext_db
    from sqlalchemy import text
    with busy_app.app_context():
        assert ext_db.session.execute(text("PRAGMA busy_timeout")).scalar() == SHORT * 1000
        ext_db.session.rollback()


def _invoke(app, *args):
    """The command as `workbench …` runs it: in an empty context, so it pushes this app's context
    (not the test's, whose engine has the default timeouts) and its write_intent stays there."""
    return contextvars.Context().run(app.test_cli_runner().invoke, args=list(args))


def _assert_one_line_busy(result):
    from workbench.cli import CLI_BUSY_MESSAGE
    assert result.exit_code == 1, result.output
    # a click error (exit 1), not an exception the runner caught: a real process would print a traceback
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.output.strip().splitlines()[-1] == f"Error: {CLI_BUSY_MESSAGE}"
    assert "Traceback" not in result.output and "OperationalError" not in result.output


def test_sqlite_locked_import_command_stops_with_one_line(busy_app, sqlite_lock, db, tmp_path):
    from workbench.corpus.models import Post
    dump = tmp_path / "busy-import.txt"
    dump.write_text(OTHER_DUMP, "utf-8")
    lock = sqlite_lock()
    _assert_one_line_busy(_invoke(busy_app, "import", str(dump)))
    assert count(db, Post) == 0
    lock.release()
    result = _invoke(busy_app, "import", str(dump))
    assert result.exit_code == 0, result.output
    assert count(db, Post) == 1


def test_sqlite_locked_export_command_stops_with_one_line(busy_app, corpus, sqlite_lock, tmp_path):
    """A read needs no write lock in WAL mode; only an exclusive lock (another program that set
    locking_mode=EXCLUSIVE, say) keeps it out."""
    out = tmp_path / "busy.jsonl"
    lock = sqlite_lock(exclusive=True)
    _assert_one_line_busy(_invoke(busy_app, "export", "--format", "jsonl", "--output", str(out)))
    assert not out.exists()
    lock.release()
    result = _invoke(busy_app, "export", "--format", "jsonl", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "Busy database test" in out.read_text("utf-8")


# --- PostgreSQL: a row or table lock held by another transaction ---

VALVE = 20   # seconds: a held PostgreSQL lock is released by then whatever happens, so a request that
             # waits without a lock_timeout fails its assertions instead of hanging the run


@pytest.fixture
def pg_lock(postgres_db, db):
    """pg_lock(sql, *params) runs sql in an open transaction on a separate psycopg connection and
    keeps it open (so are its locks) until .release(), the end of the test, or VALVE seconds."""
    import psycopg
    held = []

    class Lock:
        def __init__(self, sql, params):
            self.mutex = threading.Lock()
            self.conn = psycopg.connect(postgres_db)   # not autocommit: the first statement begins
            self.conn.execute(sql, params)
            self.valve = threading.Timer(VALVE, self.release)
            self.valve.start()

        def release(self):
            with self.mutex:
                if not self.conn.closed:
                    self.conn.rollback()
                    self.conn.close()
            if threading.current_thread() is not self.valve:
                self.valve.cancel()

    def take(sql, *params):
        db.session.commit()
        held.append(Lock(sql, params))
        return held[-1]
    yield take
    for lock in held:
        lock.release()
        lock.valve.join()


def test_postgres_row_lock_on_an_edit_is_a_503_busy_then_succeeds_when_released(corpus, client, pg_lock, db):
    from workbench.annotations.models import Claim
    post, reply = corpus
    claim = client.post("/api/v1/claims", json=claim_body(post, reply)).get_json()
    edit = {"version": claim["version"], "statement": "Edited while the row was locked"}
    lock = pg_lock("SELECT id FROM claim WHERE id = %s FOR UPDATE", claim["id"])
    started = time.monotonic()
    assert_busy_json(client.patch(f"/api/v1/claims/{claim['id']}", json=edit))
    assert time.monotonic() - started < 5, "the request did not use the configured lock_timeout"
    db.session.commit()
    assert db.session.get(Claim, claim["id"]).statement == claim["statement"]
    lock.release()
    resp = client.patch(f"/api/v1/claims/{claim['id']}", json=edit)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Claim, claim["id"]).statement == edit["statement"]


def test_postgres_table_lock_on_a_create_is_a_503_busy_then_succeeds_when_released(corpus, client, pg_lock, db):
    from workbench.annotations.models import Claim
    post, reply = corpus
    body = claim_body(post, reply)
    lock = pg_lock("LOCK TABLE claim IN SHARE ROW EXCLUSIVE MODE")   # readers go on, writers wait
    assert_busy_json(client.post("/api/v1/claims", json=body))
    assert count(db, Claim) == 0
    lock.release()
    assert client.post("/api/v1/claims", json=body).status_code == 201
    assert count(db, Claim) == 1


def test_postgres_locked_form_post_is_the_503_page(corpus, client, pg_lock, db):
    from workbench.annotations.models import Source
    post, reply = corpus
    claim = client.post("/api/v1/claims", json=claim_body(post, reply)).get_json()
    form = {"url": "https://busy.example.org/form-source", "stance": "refutes", "csrf_token": client.csrf}
    lock = pg_lock("SELECT id FROM claim WHERE id = %s FOR UPDATE", claim["id"])
    assert_busy_page(client.post(f"/claims/{claim['id']}/sources", data=form))
    assert count(db, Source) == 1
    lock.release()
    assert client.post(f"/claims/{claim['id']}/sources", data=form).status_code == 303
    assert count(db, Source) == 2


def test_postgres_read_request_waits_at_most_the_lock_timeout_too(corpus, client, pg_lock):
    """A read request (REPEATABLE READ, READ ONLY) behind a table's exclusive lock (a migration,
    say) gets the same bounded wait, set in the same round trip as its snapshot."""
    post, _reply = corpus
    lock = pg_lock("LOCK TABLE claim IN ACCESS EXCLUSIVE MODE")
    assert_busy_json(client.get(f"/api/v1/posts/{post.id}/claims"))
    lock.release()
    assert client.get(f"/api/v1/posts/{post.id}/claims").status_code == 200


def test_postgres_command_line_waits_for_the_lock(busy_app, pg_lock, db, tmp_path):
    """No lock_timeout outside a request: an import behind another transaction's lock waits for it
    (here well past the app's REQUEST_LOCK_TIMEOUT_SECONDS) and then imports."""
    from workbench.corpus.models import Post
    dump = tmp_path / "busy-import.txt"
    dump.write_text(OTHER_DUMP, "utf-8")
    hold = 4 * SHORT
    lock = pg_lock("LOCK TABLE post IN SHARE ROW EXCLUSIVE MODE")
    timer = threading.Timer(hold, lock.release)
    timer.start()
    try:
        started = time.monotonic()
        result = _invoke(busy_app, "import", str(dump))
        waited = time.monotonic() - started
    finally:
        timer.cancel()
        timer.join()
    assert result.exit_code == 0, result.output
    assert waited >= hold * 0.9, f"the import did not wait for the lock ({waited:.2f} s)"
    assert count(db, Post) == 1


def test_postgres_other_sqlstates_are_not_busy(postgres_db):
    """Only 55P03 is busy: the class-40 aborts stay 409 try_again (test_snapshot.py), others a 500."""
    import psycopg
    from sqlalchemy.exc import DBAPIError

    from workbench.errors import database_busy
    with closing(psycopg.connect(postgres_db, autocommit=True)) as conn:
        for code, busy in (("55P03", True), ("40001", False), ("55006", False), ("22012", False)):
            try:
                conn.execute(f"DO $$ BEGIN RAISE EXCEPTION 'probe' USING ERRCODE = '{code}'; END $$")
            except psycopg.Error as exc:
                assert database_busy(DBAPIError("probe", None, exc)) is busy, code
            else:
                pytest.fail("no error raised")


def test_sqlite_other_operational_errors_are_not_busy(sqlite_db, tmp_path):
    from sqlalchemy.exc import DBAPIError

    from workbench.errors import database_busy
    with closing(sqlite3.connect(tmp_path / "x.sqlite")) as conn:
        with pytest.raises(sqlite3.OperationalError) as missing:
            conn.execute("SELECT * FROM no_such_table")
    assert not database_busy(DBAPIError("probe", None, missing.value))
