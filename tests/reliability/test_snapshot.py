"""One consistent snapshot per read request, and no 500 when the database aborts a transaction
because of a concurrent one.

A read request (GET, HEAD, OPTIONS: workbench.db.write_intent False) reads with many queries: the
post page reads the post, its thread, the claims' spans, sources, verdicts, flags... On SQLite its
deferred BEGIN in WAL mode is one snapshot; on PostgreSQL the transaction runs at REPEATABLE READ,
READ ONLY. The skew tests commit a new claim (spans, sources, a verdict) through a second
connection while the request runs, after its first query, and require the page to show the
database as it was before that commit: the new claim wholly absent, never half there.
"""
import contextvars
import json
import threading

import pytest
from flask import has_request_context
from sqlalchemy import event, text


DUMP = ("Monday 22 October 2018\n\nSnapshot test\n\nCRCs were forecasting losses of nearly £300 million.\n\n"
        "1 comment:\n\n  1. Top comment\n\n    ReplyDelete\n    Replies\n"
        "    1. Great: 19 of 21 companies failed to meet their reoffending targets.\n\n      Delete\n")
PROBE = "Snapshot probe: 19 of 21 companies missed their targets"
PROBE_URL = "https://probe.example.org/snapshot-source"


@pytest.fixture
def postgres(db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL isolation levels and SQLSTATEs; SQLite serializes writers instead")


@pytest.fixture
def corpus(post_and_reply):
    return post_and_reply("s.txt", DUMP)


def claim_body(post, comment, statement=PROBE, exact="19 of 21 companies"):
    start = comment.text.index(exact)
    return {"post_id": post.id, "comment_id": comment.id, "start": start, "end": start + len(exact),
            "exact": exact, "statement": statement, "category": "reoffending",
            "sources": [{"url": PROBE_URL, "title": "Probe source", "stance": "supports"}],
            "verdict": {"rating": "mostly_true", "rationale": "probe"}}


class _Listening:
    """While in a with block, self._after sees every statement the engine runs."""

    def __enter__(self):
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "after_cursor_execute", self._after)


class MidRequestWriter(_Listening):
    """Installed on the engine for one test: the first time the reading thread, inside a request,
    finishes a statement that `when` accepts, another thread commits a new claim through the API
    (its own request, session and connection) and this thread waits until it has."""

    def __init__(self, engine, writer_client, body, when=lambda sql: sql.lstrip().upper().startswith("SELECT")):
        self.engine, self.writer, self.body, self.when = engine, writer_client, body, when
        self.reader = threading.get_ident()
        self.response = None
        self.fired_after = None


    def _after(self, conn, cursor, statement, *args):
        if self.fired_after is not None or threading.get_ident() != self.reader or not has_request_context():
            return
        if not self.when(statement):
            return
        self.fired_after = statement
        thread = threading.Thread(target=self._write)
        thread.start()
        thread.join(60)
        assert not thread.is_alive(), "the writer is blocked by the reading request"

    def _write(self):
        self.response = self.writer.post("/api/v1/claims", json=self.body)


def _page_shows_probe(resp) -> bool:
    body = resp.get_data(as_text=True)
    return PROBE in body or PROBE_URL in body


READ_PAGES = {
    "post page": lambda post: f"/posts/{post.id}",
    "post claims API": lambda post: f"/api/v1/posts/{post.id}/claims",
}


@pytest.mark.parametrize("page", list(READ_PAGES))
def test_a_claim_committed_during_a_read_request_is_wholly_absent(app, db, corpus, login, page):
    post, reply = corpus
    reader, writer = login("reviewer"), login("reviewer")
    path = READ_PAGES[page](post)
    with MidRequestWriter(db.engine, writer, claim_body(post, reply)) as probe:
        resp = reader.get(path)
    assert probe.fired_after is not None, "the request ran no query"
    assert probe.response.status_code == 201, probe.response.get_data(as_text=True)
    assert resp.status_code == 200
    assert not _page_shows_probe(resp), f"{page} saw a claim committed after its first query"
    # the claim was committed: the next request sees it whole
    again = reader.get(path)
    assert again.status_code == 200 and PROBE in again.get_data(as_text=True)


def test_the_post_page_race_of_the_load_run(app, db, corpus, login):
    """The load run's 500: the claim arrived after the spans query and before the sources query.
    The page shows the post as it was at its first query (the presenter's skip of a claim with
    sources but no spans stays as a second line of defence)."""
    post, reply = corpus
    reader, writer = login("reviewer"), login("reviewer")
    after_spans = lambda sql: "claim_span.start" in sql and "FROM claim_span" in sql  # noqa: E731
    with MidRequestWriter(db.engine, writer, claim_body(post, reply), when=after_spans) as probe:
        resp = reader.get(f"/posts/{post.id}")
    assert probe.fired_after is not None, "the spans query was not seen; did reading_claims change?"
    assert probe.response.status_code == 201
    assert resp.status_code == 200 and not _page_shows_probe(resp)


def test_a_streamed_export_reads_one_snapshot_from_the_first_query_to_the_last_row(app, db, corpus, login):
    """The export's rows are read while the body streams, after the view has returned (Flask ends
    the view's transaction then; the stream reads in one of its own): a claim committed after the
    stream's first query, the posts, is in none of the rows that follow."""
    post, reply = corpus
    reader, writer = login("reviewer"), login("reviewer")
    first_rows = lambda sql: "FROM post" in sql and "ORDER BY post.date" in sql  # noqa: E731 - the loader's posts
    with MidRequestWriter(db.engine, writer, claim_body(post, reply), when=first_rows) as probe:
        resp = reader.get("/exports/download?format=jsonl", buffered=True)
    assert probe.fired_after is not None, "the loader's posts query was not seen; did loader.py change?"
    assert probe.response.status_code == 201
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and [json.loads(line) for line in body.splitlines() if line.strip()]
    assert PROBE not in body and PROBE_URL not in body
    again = reader.get("/exports/download?format=jsonl", buffered=True).get_data(as_text=True)
    assert PROBE in again


class IsolationProbe(_Listening):
    """Records the isolation level and read-only flag of the transaction the first SELECT of a
    request ran in, asked on that same connection (a raw cursor, so no event sees it)."""

    def __init__(self, engine, inside_request=True):
        self.engine, self.inside_request, self.seen = engine, inside_request, None


    def _after(self, conn, cursor, statement, *args):
        if self.seen is not None or not statement.lstrip().upper().startswith("SELECT"):
            return
        if self.inside_request and not has_request_context():
            return
        cur = cursor.connection.cursor()
        try:
            cur.execute("SHOW transaction_isolation")
            level = cur.fetchone()[0]
            cur.execute("SHOW transaction_read_only")
            self.seen = (level, cur.fetchone()[0])
        finally:
            cur.close()


def test_a_read_request_is_repeatable_read_and_read_only(postgres, app, db, corpus, login):
    post, reply = corpus
    c = login("reviewer")
    for path in (f"/posts/{post.id}", f"/api/v1/posts/{post.id}/claims", "/exports/download?format=csv"):
        with IsolationProbe(db.engine) as probe:
            assert c.get(path, buffered=True).status_code == 200
        assert probe.seen == ("repeatable read", "on"), path
    with IsolationProbe(db.engine) as probe:
        assert c.post("/api/v1/claims", json=claim_body(post, reply)).status_code == 201
    assert probe.seen == ("read committed", "off")


def test_a_write_in_a_read_request_is_refused_by_the_database(postgres, app, db, corpus, login):
    """READ ONLY is enforced by PostgreSQL itself: a GET that wrote by accident fails loudly
    instead of writing (the whole suite runs with it, so no GET writes today)."""
    c = login("reviewer")
    tried = {}

    def write_during_request(conn, cursor, statement, *args):
        if tried or not has_request_context() or not statement.lstrip().upper().startswith("SELECT"):
            return
        cur = cursor.connection.cursor()
        cur.execute("SAVEPOINT probe")   # so the request's own transaction goes on after the refusal
        try:
            cur.execute("UPDATE category SET position = position")
        except Exception as exc:  # noqa: BLE001 - the database's own refusal is what is tested
            tried["error"] = exc
        cur.execute("ROLLBACK TO SAVEPOINT probe")
        cur.close()
        tried.setdefault("error", None)

    event.listen(db.engine, "after_cursor_execute", write_during_request)
    try:
        c.get("/")
    finally:
        event.remove(db.engine, "after_cursor_execute", write_during_request)
    assert getattr(tried["error"], "sqlstate", None) == "25006"  # read_only_sql_transaction


def test_the_export_command_reads_one_snapshot(postgres, app, db, corpus, tmp_path):
    """`workbench export` (no request) also reads at REPEATABLE READ, READ ONLY."""
    db.session.commit()   # the test's own transaction ends; the command begins its own
    out = tmp_path / "e.jsonl"
    with IsolationProbe(db.engine, inside_request=False) as probe:
        # in a copy of the context: the command sets write_intent for the rest of its process
        result = contextvars.copy_context().run(app.test_cli_runner().invoke,
                                                args=["export", "--format", "jsonl", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert probe.seen == ("repeatable read", "on")
    assert "Snapshot test" in out.read_text("utf-8")


def test_a_request_does_not_leave_its_write_intent_behind(app, db, corpus, login):
    """The intent is the request's: a test or script that calls the app in its own context keeps
    its own (here a plain test client, which runs the request in the caller's context)."""
    from flask.testing import FlaskClient

    from workbench.db import write_intent
    before = write_intent.get()
    client = FlaskClient(app)   # not the suite's IsolatedClient, which runs each request in a new context
    assert client.get("/login").status_code == 200
    assert write_intent.get() == before
    assert client.post("/login", data={"username": "x"}).status_code == 400   # no CSRF token
    assert write_intent.get() == before


# --- a transaction the database aborts because of a concurrent one: 409 "try again", not a 500 ---

def _second_app(db_url, tmp_path, **config):
    from workbench import create_app
    from tests.conftest import IsolatedClient
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test-secret", "TESTING": True,
                      "INSTANCE_PATH": str(tmp_path / "instance2"), **config})
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture
def failing_app(db_url, tmp_path, make_user):
    """An app with one extra route that makes PostgreSQL raise the given SQLSTATE, for the error
    handler's answer to each (a real error from the real driver, not a stand-in)."""
    app = _second_app(db_url, tmp_path, PROPAGATE_UNEXPECTED=False)

    @app.get("/_test/sqlstate/<code>")
    def raise_sqlstate(code):
        from workbench.extensions import db as ext_db
        ext_db.session.execute(text(
            f"DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '{code}'; END $$"))
        return "not reached"

    user = make_user("reviewer")
    from tests.conftest import Client
    client = Client(app.test_client(), user)
    assert client.login(user.username).status_code == 302
    yield client
    with app.app_context():
        from workbench.extensions import db as ext_db
        ext_db.engine.dispose()


@pytest.mark.parametrize("code", ["40001", "40P01"])   # serialization_failure, deadlock_detected
def test_a_transaction_aborted_by_a_concurrent_one_is_a_409_in_json_and_html(postgres, failing_app, code):
    resp = failing_app.get(f"/_test/sqlstate/{code}", headers={"Accept": "application/json"})
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "try_again"
    page = failing_app.get(f"/_test/sqlstate/{code}")
    assert page.status_code == 409 and "try again" in page.get_data(as_text=True)


def test_other_database_errors_are_still_the_generic_500(postgres, failing_app):
    resp = failing_app.get("/_test/sqlstate/22012", headers={"Accept": "application/json"})  # division_by_zero
    assert resp.status_code == 500 and resp.get_json()["error"]["code"] == "internal_error"
