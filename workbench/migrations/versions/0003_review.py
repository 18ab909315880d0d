"""review: team review and tasks (issue 4)

Two partial unique indexes that make the review rules hold under concurrency: one live (not
reopened) adjudication per claim, and no duplicate open task of one kind for the same claim
and person (bulk "check by N reviewers" stays idempotent even when two leads run it at once).

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

LIVE = "reopened_at IS NULL"
OPEN = "status IN ('open', 'in_progress') AND claim_id IS NOT NULL"


def upgrade():
    with op.batch_alter_table('adjudication', schema=None) as batch_op:
        batch_op.create_index('uq_adjudication_live', ['claim_id'], unique=True,
                              sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('uq_task_open_claim', ['kind', 'claim_id', 'assignee_id'], unique=True,
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('uq_task_open_claim', sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    with op.batch_alter_table('adjudication', schema=None) as batch_op:
        batch_op.drop_index('uq_adjudication_live', sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))
