"""search: dismissed suggestions, claim figures and the full-text index (issue 8)

The full-text index is stored and kept current by the database itself, so a search never
rebuilds anything:

- SQLite: one FTS5 table per searchable table (tokenize 'porter unicode61'), external content
  (the text is read back from the table itself for snippets, not stored twice), kept current by
  AFTER INSERT / UPDATE OF <text columns> / DELETE triggers (the corpus import pauses the
  insert triggers and indexes its rows in bulk: workbench/search/bulk.py
  search_index_in_bulk). Retracted claims and sources stay
  in the index (nothing is deleted); the search filters them out.
- PostgreSQL: a stored generated column search_tsv = to_tsvector('english', <the same text>)
  per table with a GIN index on it; the search matches and ranks on that column (ranking on
  to_tsvector(text) recomputed it for every ranked row: 0.2 ms per comment).

None of these objects is in the models; tests/unit/test_migrations.py ignores them by name
(SEARCH_OBJECTS) and tests/conftest.py resets the FTS tables instead of emptying their
shadow tables. Table rebuilds on SQLite (batch_alter_table) drop triggers: a later revision
that rebuilds one of these tables must put the triggers back (0004 does).

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


# table → (FTS5 table, text columns, PostgreSQL search_tsv expression, GIN index name)
FTS = {
    "post": ("fts_post", ("title", "body"), "title || ' ' || body", "ix_post_fts"),
    "comment": ("fts_comment", ("text",), "text", "ix_comment_fts"),
    "claim": ("fts_claim", ("statement",), "statement", "ix_claim_fts"),
    "source": ("fts_source", ("title", "quote", "publisher"), "title || ' ' || quote || ' ' || publisher",
               "ix_source_fts"),
    "discussion_post": ("fts_discussion", ("body",), "body", "ix_discussion_post_fts"),
}

PAUSABLE = ("post", "comment")


def sqlite_trigger_sql(table: str) -> list[str]:
    """The three triggers that keep one external-content FTS5 table equal to its table."""
    fts, cols, _, _ = FTS[table]
    names = ", ".join(cols)
    new = ", ".join(f"new.{c}" for c in cols)
    old = ", ".join(f"old.{c}" for c in cols)
    insert = f"INSERT INTO {fts} (rowid, {names}) VALUES (new.id, {new});"
    delete = f"INSERT INTO {fts} ({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
    # The corpus import pauses the insert triggers (a row in search_index_paused) and indexes its
    # new rows in one statement at the end: FTS5 flushes its pending index at every statement,
    # so a trigger per imported row costs ten times a bulk INSERT … SELECT.
    paused = " WHEN NOT EXISTS (SELECT 1 FROM search_index_paused)" if table in PAUSABLE else ""
    return [
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table}{paused} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF id, {names} ON {table} BEGIN {delete} {insert} END",
    ]


def _create_search_index():
    conn = op.get_bind()
    for table, (fts, cols, expr, index) in FTS.items():
        if conn.dialect.name == "postgresql":
            op.execute(f"ALTER TABLE {table} ADD COLUMN search_tsv tsvector "
                       f"GENERATED ALWAYS AS (to_tsvector('english', {expr})) STORED")
            op.execute(f"CREATE INDEX {index} ON {table} USING gin (search_tsv)")
        elif conn.dialect.name == "sqlite":
            if table == "post":
                op.execute("CREATE TABLE search_index_paused (id INTEGER PRIMARY KEY)")
            op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5({', '.join(cols)}, content='{table}', "
                       "content_rowid='id', tokenize='porter unicode61')")
            op.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")   # rows already there
            for sql in sqlite_trigger_sql(table):
                op.execute(sql)


def _drop_search_index():
    conn = op.get_bind()
    for table, (fts, cols, expr, index) in FTS.items():
        if conn.dialect.name == "postgresql":
            op.execute(f"DROP INDEX IF EXISTS {index}")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_tsv")
        elif conn.dialect.name == "sqlite":
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
    if conn.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_index_paused")


def upgrade():
    _create_search_index()
    op.create_table(
        'suggestion_dismissal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('comment_id', sa.Integer(), nullable=True),
        sa.Column('start', sa.Integer(), nullable=False),
        sa.Column('end', sa.Integer(), nullable=False),
        sa.Column('exact', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('dismissed_by_id', sa.Integer(), nullable=False),
        sa.Column('dismissed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['comment_id'], ['comment.id'],
                                name=op.f('fk_suggestion_dismissal_comment_id_comment')),
        sa.ForeignKeyConstraint(['dismissed_by_id'], ['user.id'],
                                name=op.f('fk_suggestion_dismissal_dismissed_by_id_user')),
        sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_suggestion_dismissal_post_id_post')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_dismissal')),
    )
    with op.batch_alter_table('suggestion_dismissal') as batch_op:
        batch_op.create_index('ix_suggestion_dismissal_unit', ['post_id', 'comment_id'], unique=False)
    op.create_table(
        'claim_figure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('unit', sa.String(length=32), nullable=False),
        sa.Column('period', sa.String(length=32), nullable=True),
        sa.Column('raw', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_claim_figure_claim_id_claim')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_figure')),
    )
    with op.batch_alter_table('claim_figure') as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_figure_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index('ix_claim_figure_unit_value', ['unit', 'value'], unique=False)


def downgrade():
    with op.batch_alter_table('claim_figure') as batch_op:
        batch_op.drop_index('ix_claim_figure_unit_value')
        batch_op.drop_index(batch_op.f('ix_claim_figure_claim_id'))
    op.drop_table('claim_figure')
    with op.batch_alter_table('suggestion_dismissal') as batch_op:
        batch_op.drop_index('ix_suggestion_dismissal_unit')
    op.drop_table('suggestion_dismissal')
    _drop_search_index()
