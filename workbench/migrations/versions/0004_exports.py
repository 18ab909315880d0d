"""exports: exports and native import (issue 5)

Every row a native export carries gets a stable identifier (uid, 32 hex digits), so an
export can be merged back into another workbench. Existing rows are backfilled.

Revision ID: 0004
Revises: 0003
"""
from contextlib import contextmanager
from uuid import uuid4

from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLES = ("claim", "claim_span", "source", "verdict", "flag", "discussion_post", "adjudication", "task")


@contextmanager
def _foreign_keys_off(conn):
    """SQLite rebuilds a table to alter a column, and with foreign keys on it cannot drop the old
    copy while other rows point at it. The pragma only works outside a transaction, so: commit the
    revisions before this one, switch checks off, do this one in its own transaction, check every
    reference, and switch them back on."""
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql("COMMIT")
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    conn.exec_driver_sql("BEGIN")
    yield
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
    conn.exec_driver_sql("COMMIT")
    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    conn.exec_driver_sql("BEGIN")


@contextmanager
def _keep_triggers(conn, name):
    """A SQLite table rebuild (batch_alter_table) drops the table's triggers (0002's full-text
    index triggers among them): put them back as they were."""
    triggers = [] if conn.dialect.name != "sqlite" else [r[0] for r in conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (name,))]
    yield
    for sql in triggers:
        conn.exec_driver_sql(sql)


def upgrade():
    conn = op.get_bind()
    with _foreign_keys_off(conn):
        _add_uids(conn)


def _add_uids(conn):
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("uid", sa.String(length=32), nullable=True))
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("uid", sa.String))
        ids = [row.id for row in conn.execute(sa.select(table.c.id).order_by(table.c.id))]
        for start in range(0, len(ids), 1000):
            conn.execute(table.update().where(table.c.id == sa.bindparam("row_id")),
                         [{"row_id": i, "uid": uuid4().hex} for i in ids[start:start + 1000]])
        with _keep_triggers(conn, name), op.batch_alter_table(name) as batch:
            batch.alter_column("uid", existing_type=sa.String(length=32), nullable=False)
            batch.create_unique_constraint(f"uq_{name}_uid", ["uid"])


def downgrade():
    conn = op.get_bind()
    with _foreign_keys_off(conn):
        for name in reversed(TABLES):
            with _keep_triggers(conn, name), op.batch_alter_table(name) as batch:
                batch.drop_constraint(f"uq_{name}_uid", type_="unique")
                batch.drop_column("uid")
