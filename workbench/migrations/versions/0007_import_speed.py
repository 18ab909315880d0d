"""import speed (issue 9): the post and comment full-text indexes merge in bigger steps

fts_post and fts_comment are written almost only by the corpus import, in bulk (one
INSERT … SELECT per batch: workbench/search/bulk.py). With FTS5's defaults (automerge 4,
crisismerge 16) a 2,000-post import spends a third of its indexing time re-merging segments it
has just written; automerge 16 / crisismerge 64 cut the 67,471-comment index build from 3.4 s to
2.1 s on the benchmark machine (under load), with the same number of segments give or take two
and no measurable change in query time; a 16 MB pending-terms hash (hashsize, 1 MB by default)
flushes fewer, larger segments: 1.03 -> 0.87 s for the same build on a quiet machine, 5 segments
instead of 11 (bench/import_bench.py, docs/benchmarks.md). The hash is memory used only while
the import writes. The claim, source
and discussion indexes, written a row at a time by reviewers, keep the defaults.

The settings live in each FTS5 table's own _config shadow table. PostgreSQL: nothing to do.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa  # noqa: F401

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

BULK = ("fts_post", "fts_comment")


def _set(automerge: int, crisismerge: int, hashsize: int) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for fts in BULK:
        op.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('automerge', {automerge})")
        op.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('crisismerge', {crisismerge})")
        op.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('hashsize', {hashsize})")


def upgrade():
    _set(16, 64, 16 * 1024 * 1024)


def downgrade():
    _set(4, 16, 1024 * 1024)   # FTS5's defaults
