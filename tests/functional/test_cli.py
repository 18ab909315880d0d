"""The workbench command line, run as a real process against a fresh SQLite database."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import SEEDS

BIN = Path(sys.executable).parent / "workbench"


def run(args, env, stdin=None):
    return subprocess.run([str(BIN), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture
def env(tmp_path):
    e = dict(os.environ)
    e["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    return e


def scalar(env, sql):
    engine = create_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    engine.dispose()
    return value


def test_upgrade_import_and_reimport(env, tmp_path):
    assert run(["db", "upgrade"], env).returncode == 0
    first = run(["import", str(SEEDS)], env)
    assert first.returncode == 0, first.stderr
    assert "5 imported; 78 comments added" in first.stdout
    assert "progress" not in first.stdout and "5/5 files" in first.stderr
    again = run(["import", str(SEEDS)], env)
    assert again.returncode == 0 and "5 unchanged; 0 comments added" in again.stdout
    assert scalar(env, "SELECT count(*) FROM comment") == 78


def test_malformed_file_reported_with_file_and_line(env, tmp_path):
    run(["db", "upgrade"], env)
    folder = tmp_path / "dump"
    folder.mkdir()
    (folder / "ok.txt").write_bytes(next(SEEDS.glob("004_*.txt")).read_bytes())
    (folder / "empty.txt").write_bytes(b"")
    (folder / "nodate.txt").write_text("Hello\n\nBody\n", "utf-8")
    result = run(["import", str(folder)], env)
    assert result.returncode == 1
    assert f"ERROR     {folder / 'empty.txt'}: line 1: the file is empty" in result.stderr
    assert f"{folder / 'nodate.txt'}: line 1: expected a date line" in result.stderr
    assert "1 imported" in result.stdout and "2 error" in result.stdout
    assert scalar(env, "SELECT count(*) FROM post") == 1


def test_declared_count_warning(env, tmp_path):
    run(["db", "upgrade"], env)
    text_ = next(SEEDS.glob("004_*.txt")).read_text("utf-8").replace("7 comments:", "9 comments:")
    (tmp_path / "cut.txt").write_text(text_, "utf-8")
    result = run(["import", str(tmp_path / "cut.txt")], env)
    assert result.returncode == 0
    assert "WARNING" in result.stderr and "declares 9 comments, found 7" in result.stderr


def test_create_user_with_password_stdin(env):
    run(["db", "upgrade"], env)
    ok = run(["create-user", "chief", "--role", "admin", "--password-stdin"], env, stdin="a good password\n")
    assert ok.returncode == 0 and "Created admin chief" in ok.stdout
    assert scalar(env, "SELECT role FROM \"user\" WHERE username='chief'") == "admin"
    stored = scalar(env, "SELECT password_hash FROM \"user\" WHERE username='chief'")
    assert "a good password" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    dup = run(["create-user", "chief", "--password-stdin"], env, stdin="another password\n")
    assert dup.returncode != 0 and "taken" in dup.stderr
    short = run(["create-user", "tiny", "--password-stdin"], env, stdin="abc\n")
    assert short.returncode != 0 and "at least 8" in short.stderr


def test_upgrade_on_existing_database_keeps_data(env):
    run(["db", "upgrade"], env)
    run(["import", str(SEEDS)], env)
    assert run(["db", "upgrade"], env).returncode == 0
    assert scalar(env, "SELECT count(*) FROM post") == 5
    assert scalar(env, "SELECT version_num FROM alembic_version") is not None


def test_flask_app_entry_point_works_too(env):
    result = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "workbench", "db", "upgrade"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert scalar(env, "SELECT count(*) FROM category") == 6


def test_demo_prepares_everything(env):
    result = run(["demo", "--no-serve"], env)
    assert result.returncode == 0, result.stderr
    assert "http://127.0.0.1:5000/" in result.stdout and "admin" in result.stdout
    assert scalar(env, "SELECT count(*) FROM post") == 5
    assert scalar(env, "SELECT count(*) FROM \"user\"") == 4
    assert run(["demo", "--no-serve"], env).returncode == 0  # again: nothing duplicated
    assert scalar(env, "SELECT count(*) FROM \"user\"") == 4
