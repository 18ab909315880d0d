"""search: dismissed suggestions and claim figures (issue 8)

The full-text index itself is not stored here: PostgreSQL searches to_tsvector() of the live
rows and SQLite keeps a per-connection FTS5 index in the temp schema, checked against the
tables on every search (workbench/search/backends.py explains why).

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
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
