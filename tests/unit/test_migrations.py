"""The migrations build exactly the schema the models describe, on this test run's database."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from workbench.extensions import db as _db


def test_models_and_migrations_agree(app, db):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, _db.metadata)
    assert diff == [], "models changed without a migration: " + repr(diff)[:800]
