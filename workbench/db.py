"""Declarative base with a constraint naming convention, and engine settings per backend."""
from contextvars import ContextVar
from datetime import datetime, timezone

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


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_conn, _record):
    """WAL, a busy timeout and foreign keys on every SQLite connection, for concurrent use."""
    if type(dbapi_conn).__module__.startswith("sqlite3"):
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")
    elif conn.dialect.name == "postgresql" and not write_intent.get():
        conn.exec_driver_sql(READ_SNAPSHOT)
