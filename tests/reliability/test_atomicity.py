"""A corpus import or a migration that fails half-way leaves the database as it was, and no
route deletes anything. The failures are real database failures (a trigger that refuses a
row, an Alembic revision that raises after it changed the schema), not mocks."""
import shutil
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from tests.conftest import SEEDS
from tests.security.world import fingerprint

MIGRATIONS = Path(__file__).resolve().parents[2] / "workbench" / "migrations"


def _add_trigger(db, table: str, column: str, marker: str) -> None:
    """Make the database itself refuse a row whose column contains marker."""
    dialect = db.engine.dialect.name
    with db.engine.begin() as conn:
        if dialect == "sqlite":
            conn.execute(text(f"CREATE TRIGGER wb_test_refuse BEFORE INSERT ON {table} "
                              f"WHEN instr(NEW.{column}, '{marker}') > 0 "
                              "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"))
        else:
            conn.execute(text("CREATE FUNCTION wb_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
                              f"BEGIN IF strpos(NEW.{column}, '{marker}') > 0 THEN "
                              "RAISE EXCEPTION 'refused by the test trigger'; END IF; RETURN NEW; END $$"))
            conn.execute(text(f"CREATE TRIGGER wb_test_refuse BEFORE INSERT ON {table} "
                              "FOR EACH ROW EXECUTE FUNCTION wb_test_refuse()"))


def _drop_trigger(db, table: str) -> None:
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER IF EXISTS wb_test_refuse"))
        else:
            conn.execute(text(f"DROP TRIGGER IF EXISTS wb_test_refuse ON {table}"))
            conn.execute(text("DROP FUNCTION IF EXISTS wb_test_refuse()"))


def _dump(path: Path, title: str, comment: str) -> Path:
    path.write_text(f"Monday 1 April 2019\n\n{title}\n\nA body about {title}.\n\n1 comment:\n\n"
                    f"  1. {comment}\n    ReplyDelete\n", encoding="utf-8")
    return path


def test_an_import_that_fails_half_way_in_the_database_leaves_it_as_it_was(app, db, seeded, tmp_path):
    folder = tmp_path / "dumps"
    folder.mkdir()
    _dump(folder / "a.txt", "First new post", "fine comment")
    _dump(folder / "b.txt", "Second new post", "this comment hits WB_REFUSE_ME in the database")
    db.session.commit()
    before = fingerprint(db)
    _add_trigger(db, "comment", "text", "WB_REFUSE_ME")
    try:
        result = app.test_cli_runner().invoke(args=["import", str(folder)])
    finally:
        db.session.rollback()
        _drop_trigger(db, "comment")
    assert result.exit_code != 0
    assert fingerprint(db) == before  # the first post and its comments were rolled back too
    # and once the cause is gone, the same import goes through
    result = app.test_cli_runner().invoke(args=["import", str(folder)])
    assert result.exit_code == 0, result.output
    db.session.commit()
    assert db.session.execute(text("SELECT count(*) FROM post")).scalar() == len(list(SEEDS.glob("*.txt"))) + 2


FAILING_REVISION = '''
"""a revision that changes schema and data, then fails"""
from alembic import op
import sqlalchemy as sa

revision = "9999"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("wb_half_done", sa.Column("id", sa.Integer, primary_key=True))
    op.add_column("post", sa.Column("wb_half_done", sa.Integer, nullable=True))
    op.execute("UPDATE post SET title = 'overwritten by a failed migration'")
    op.execute("DELETE FROM comment")
    raise RuntimeError("this migration fails half-way on purpose")


def downgrade():
    pass
'''


def test_a_migration_that_fails_half_way_leaves_the_database_as_it_was(app, db, seeded, tmp_path):
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    head = ScriptDirectory(str(scripts)).get_current_head()
    (scripts / "versions" / "9999_fails.py").write_text(textwrap.dedent(FAILING_REVISION.format(head=head)))
    db.session.commit()
    before = fingerprint(db)
    columns = {c["name"] for c in inspect(db.engine).get_columns("post")}
    db.engine.dispose()
    with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits 1
        upgrade(directory=str(scripts))
    db.engine.dispose()
    assert "wb_half_done" not in inspect(db.engine).get_table_names()
    assert {c["name"] for c in inspect(db.engine).get_columns("post")} == columns
    assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
    assert fingerprint(db) == before


def test_no_route_deletes(app):
    """Nothing is deleted by a user action: there is no DELETE route. (A DELETE that archives
    would need its own test here; the authorization walk also checks that no request, by any
    role, makes any table shrink.)"""
    deleting = sorted(f"{rule.endpoint} {rule.rule}" for rule in app.url_map.iter_rules() if "DELETE" in rule.methods)
    assert deleting == []


def test_the_code_never_deletes_rows():
    """No service, view or command issues a DELETE (retract, archive, supersede instead). The
    only deletions are the tests' own clean-up and the replacement of derived search rows."""
    import re
    root = Path(__file__).resolve().parents[2] / "workbench"
    allowed = {"search"}  # derived full-text index rows, rebuilt from the data
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root)
        if rel.parts[0] in ("migrations",) or rel.parts[0] in allowed:
            continue
        src = path.read_text()
        for m in re.finditer(r"session\.delete\(|\bdelete\(\s*[A-Z]\w*\s*\)|DELETE FROM", src):
            offenders.append(f"{rel}: {m.group(0)}")
    assert not offenders, offenders


def test_retracted_work_comes_back_with_its_history(login, app, db, tmp_path):
    """Retract and restore a claim and a source: nothing is lost and both moves are audited."""
    from tests.security.world import build_world
    world = build_world(db, tmp_path)
    from tests.conftest import Client
    owner = Client(app.test_client())
    owner.login(world.names["owner"])
    cid, sid = world.ids["claim_id"], world.ids["source_id"]
    assert owner.post(f"/api/v1/sources/{sid}/retract").status_code == 200
    assert owner.post(f"/api/v1/sources/{sid}/restore").status_code == 200
    assert owner.post(f"/api/v1/claims/{cid}/retract", json={"reason": "dup"}).status_code == 200
    assert owner.post(f"/api/v1/claims/{cid}/restore", json={"reason": "not a dup"}).status_code == 200
    claim = owner.get(f"/api/v1/claims/{cid}").get_json()
    assert not claim.get("retracted") and len(claim["sources"]) == 1 and claim["verdicts"]
    actions = [(e["entity"], e["action"]) for e in owner.get(f"/api/v1/claims/{cid}/history").get_json()["items"]]
    for step in [("source", "retract"), ("source", "restore"), ("claim", "retract"), ("claim", "restore")]:
        assert step in actions
