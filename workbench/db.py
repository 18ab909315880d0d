"""Declarative base with a constraint naming convention, and engine settings per backend."""
from contextvars import ContextVar
from datetime import datetime, timezone

from flask import has_request_context
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    """Naive UTC timestamp: both SQLite and PostgreSQL store it the same way."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def isoformat(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


# Whether the current unit of work will write. GET requests set it False so their
# SQLite transactions stay deferred (readers never block); everything else takes the
# write lock up front with BEGIN IMMEDIATE, so a read-then-write transaction cannot
# fail half-way with SQLITE_BUSY when another process wrote in between.
#
# On PostgreSQL the same flag chooses the snapshot. A transaction without write intent runs at
# REPEATABLE READ, READ ONLY: every query of a page (post, thread, claims, spans, sources…) and
# every row of a streamed export sees the database as it was at the first query, so a claim
# committed half-way through a request is either wholly in the answer or wholly absent, never
# a claim with sources but no spans. READ ONLY makes an accidental write in a read request an
# error instead of a silent write; a read-only REPEATABLE READ transaction never fails with a
# serialization error. Writing transactions stay at the server default (READ COMMITTED).
write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)
READ_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"


# How long a SQLite statement waits for another connection's lock before it fails with SQLITE_BUSY
# ("database is locked"; a request answers 503 busy, a command stops with one line). The app sets
# it from SQLITE_BUSY_TIMEOUT_SECONDS (workbench/config.py, as the driver's connect argument
# "timeout"); this default covers any other engine.
SQLITE_BUSY_TIMEOUT_SECONDS = 10.0


@event.listens_for(Engine, "do_connect")
def _sqlite_busy_timeout(dialect, _record, _cargs, cparams):
    if dialect.name == "sqlite":
        cparams.setdefault("timeout", SQLITE_BUSY_TIMEOUT_SECONDS)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_conn, _record):
    """WAL and foreign keys on every SQLite connection, for concurrent use (and the busy
    timeout, given when it connects, above)."""
    if type(dbapi_conn).__module__.startswith("sqlite3"):
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """SQLite: take the write lock up front for a write. PostgreSQL: one snapshot per read
    request (REPEATABLE READ, READ ONLY). Every PostgreSQL connection starts with lock_timeout =
    REQUEST_LOCK_TIMEOUT_SECONDS (a connect option, workbench/config.py), so a web request stuck
    behind another transaction's row or table lock gives up with SQLSTATE 55P03, answered 503
    busy (workbench/errors.py), instead of holding a worker for as long as the other transaction
    runs, and pays no statement for it; a transaction begun outside a request (the command line:
    import, restore, migrations) lifts it and waits as long as it takes."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")
    elif conn.dialect.name == "postgresql":
        statements = [] if write_intent.get() else [READ_SNAPSHOT]
        if not has_request_context():
            statements.append("SET LOCAL lock_timeout = 0")   # ends with the transaction
        if statements:   # one round trip (no parameters: psycopg sends both in one simple query)
            conn.exec_driver_sql("; ".join(statements))
