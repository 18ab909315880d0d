"""import speed (issue 9): the post and comment full-text indexes merge in bigger steps

fts_post and fts_comment are written almost only by the corpus import, in bulk (one
INSERT … SELECT per batch: workbench/corpus/indexing.py). With FTS5's defaults (automerge 4,
crisismerge 16) a 2,000-post import spends a third of its indexing time re-merging segments it
has just written; automerge 16 / crisismerge 64 cut the 67,471-comment index build from 3.4 s to
2.1 s on the benchmark machine, with the same number of segments give or take two and no
measurable change in query time (bench/import_bench.py, docs/benchmarks.md). The claim, source
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


def _set(automerge: int, crisismerge: int) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for fts in BULK:
        op.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('automerge', {automerge})")
        op.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('crisismerge', {crisismerge})")


def upgrade():
    _set(16, 64)


def downgrade():
    _set(4, 16)   # FTS5's defaults
