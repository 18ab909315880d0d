"""The migrations build exactly the schema the models describe, on this test run's database."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from workbench.extensions import db as _db


# Objects that exist only in the migrations by design: the full-text index of 0002 (SQLite FTS5
# tables, their shadow tables and the import's pause table; PostgreSQL's generated search_tsv
# columns and their GIN indexes). Nothing else is ignored.
_FTS5 = ("fts_post", "fts_comment", "fts_claim", "fts_source", "fts_discussion")
SEARCH_OBJECTS = {("table", n + s) for n in _FTS5 for s in ("", "_data", "_idx", "_content", "_docsize", "_config")} | \
    {("table", "search_index_paused")} | \
    {("index", n) for n in ("ix_post_fts", "ix_comment_fts", "ix_claim_fts", "ix_source_fts", "ix_discussion_post_fts")}


def _include_name(name, type_, parent_names):
    if type_ == "column" and name == "search_tsv":
        return parent_names.get("table_name") not in ("post", "comment", "claim", "source", "discussion_post")
    return (type_, name) not in SEARCH_OBJECTS


def test_models_and_migrations_agree(app, db):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": _include_name})
        diff = compare_metadata(ctx, _db.metadata)
    assert diff == [], "models changed without a migration: " + repr(diff)[:800]
