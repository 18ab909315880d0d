"""Fixtures for the export tests: annotated seeds, and wiping the database mid-test."""
import pytest

from tests.conftest import _empty_database
from tests.unit.exports.builders import annotate


@pytest.fixture
def annotated(seeded, db, make_user):
    return annotate(db, make_user)


@pytest.fixture
def wipe(db, _tables):
    """Empties the database (categories kept), as a fresh install would be."""
    def do():
        db.session.commit()
        db.session.close()
        _empty_database(db.engine, *_tables)
    return do
