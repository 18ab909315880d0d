"""Fixtures for the export tests: annotated seeds (wiping the database mid-test: `wipe`, tests/conftest.py)."""
import pytest

from tests.unit.exports.builders import annotate


@pytest.fixture
def annotated(seeded, db, make_user):
    return annotate(db, make_user)
