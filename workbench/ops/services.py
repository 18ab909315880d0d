"""Backup and restore of the whole database.

SQLite: the online backup API copies a consistent snapshot page by page while the server
keeps writing (WAL mode: readers and the copy never block writers for long).
PostgreSQL: pg_dump --format=custom, which reads one snapshot in one transaction; restore
with pg_restore in a single transaction. Restores go only into an EMPTY database, so a
restore can never mix two histories or overwrite a year of work by mistake.
"""
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class OpsError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


def _sqlite_path(engine: Engine) -> str:
    path = engine.url.database
    if not path or path == ":memory:":
        raise OpsError("This SQLite database lives in memory; there is nothing to back up.")
    return path


def _pg_env(engine: Engine) -> tuple[str, dict]:
    """A libpq URL without the password (it goes in PGPASSWORD, not on the command line)."""
    url = make_url(engine.url.render_as_string(hide_password=False))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise OpsError(f"{name} was not found on PATH. Install the PostgreSQL client tools "
                       f"(Debian: apt-get install postgresql-client) in the server's major version.")
    return path


def _run(cmd: list[str], env: dict) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise OpsError(f"{Path(cmd[0]).name} failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")


def backup(engine: Engine, target: str | Path) -> Path:
    """Write a consistent copy of the database to target (which must not exist yet)."""
    target = Path(target)
    if target.exists():
        raise OpsError(f"{target} already exists; choose a new file name (backups are never overwritten).")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if engine.dialect.name == "sqlite":
            src = sqlite3.connect(_sqlite_path(engine), timeout=30)
            dst = sqlite3.connect(partial)
            try:
                src.execute("PRAGMA busy_timeout=30000")
                with dst:
                    src.backup(dst)  # one step: one consistent read snapshot, writers go on (WAL)
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                check = dst.execute("PRAGMA integrity_check").fetchone()[0]
                if check != "ok":
                    raise OpsError(f"The copy failed its integrity check: {check}")
            finally:
                dst.close()
                src.close()
        elif engine.dialect.name == "postgresql":
            url, env = _pg_env(engine)
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={partial}", f"--dbname={url}"], env)
        else:
            raise OpsError(f"Backups of {engine.dialect.name} databases are not supported.")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def table_names(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()


def restore(engine: Engine, source: str | Path) -> None:
    """Put a backup back into an empty database (no tables at all)."""
    source = Path(source)
    if not source.is_file():
        raise OpsError(f"{source} does not exist or is not a file.")
    with source.open("rb") as fh:
        head = fh.read(16)
    tables = table_names(engine)
    if tables:
        raise OpsError(f"The database is not empty (it has {len(tables)} tables, e.g. {sorted(tables)[0]!r}). "
                       "Restore only into an empty database: create a new one, or point DATABASE_URL "
                       "at a new SQLite file, and run restore again.")
    engine.dispose()
    if engine.dialect.name == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise OpsError(f"{source} is not a SQLite backup made by `workbench backup`.")
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(_sqlite_path(engine), timeout=30)
        try:
            with dst:
                src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise OpsError(f"The restored database failed its integrity check: {check}")
        finally:
            dst.close()
            src.close()
    elif engine.dialect.name == "postgresql":
        if not head.startswith(PGDUMP_MAGIC):
            raise OpsError(f"{source} is not a PostgreSQL custom-format backup made by `workbench backup`.")
        url, env = _pg_env(engine)
        _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              f"--dbname={url}", str(source)], env)
    else:
        raise OpsError(f"Restores into {engine.dialect.name} databases are not supported.")
    engine.dispose()
