"""The full-text index during a corpus import: in bulk, batch by batch, in the import's transaction.

SQLite's FTS5 index is kept by row triggers (migration 0002), and FTS5 flushes its pending
index at every statement, so a trigger per imported row made import five times slower. The
import pauses the post and comment insert triggers (a row in search_index_paused, inside its
own transaction, so a failed import rolls the pause back with everything else) and indexes
each written batch with one INSERT … SELECT per table: ids only grow, so a batch's new rows
are those above the largest id indexed so far. Indexing batch by batch rather than once at the
end lets a second process parse the next files while this one tokenizes (workbench/corpus/reading.py).

PostgreSQL's GIN indexes follow the generated search_tsv columns by themselves: nothing to do.
"""
from contextlib import contextmanager
from typing import Callable, Iterator

from ..extensions import db

_TABLES = {
    "post": "INSERT INTO fts_post (rowid, title, body) SELECT id, title, body FROM post WHERE id > ?",
    "comment": "INSERT INTO fts_comment (rowid, text) SELECT id, text FROM comment WHERE id > ?",
}


@contextmanager
def search_index_in_bulk() -> Iterator[Callable[[], None]]:
    """Yields catch_up(): index every post and comment written since the last call. It is
    called once more on a normal exit; on an exception nothing more is indexed and the
    caller's rollback takes the pause and the partial index back with the rows."""
    if db.engine.dialect.name != "sqlite":
        yield lambda: None
        return
    conn = db.session.connection()
    marks = {t: conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {t}").scalar() for t in _TABLES}
    conn.exec_driver_sql("INSERT INTO search_index_paused DEFAULT VALUES")

    def catch_up() -> None:
        c = db.session.connection()
        for table, sql in _TABLES.items():
            top = c.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar()
            if top > marks[table]:
                c.exec_driver_sql(sql, (marks[table],))
                marks[table] = top

    yield catch_up
    catch_up()
    db.session.connection().exec_driver_sql("DELETE FROM search_index_paused")
