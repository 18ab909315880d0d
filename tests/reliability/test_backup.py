"""`workbench backup FILE` while a multi-process server is under write load, then
`workbench restore FILE` into an empty database: every write acknowledged before the backup
started is in the restored copy. Run through the real command line, as an operator would."""
import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, select, text

from tests.security.world import build_world

pytestmark = pytest.mark.multiprocess

WORKBENCH = str(Path(sys.executable).parent / "workbench")


def workbench(*args, database_url, cwd):
    env = dict(os.environ, DATABASE_URL=database_url, PYTHONWARNINGS="ignore")
    return subprocess.run([WORKBENCH, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


class Writers:
    """Threads creating claims through the API until stopped; the acknowledged ones, in order."""

    def __init__(self, server, world, roles=("reviewer", "owner", "lead")):
        self.server, self.world = server, world
        self.sessions = [server.session(world.names[r]) for r in roles]
        post = self.sessions[0].get(f"{server.url}/api/v1/posts/{world.ids['post_id']}").json()
        self.start = post["body"].index("The Ministry of Justice")
        self.acked: list[tuple[int, str]] = []
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(s, k)) for k, s in enumerate(self.sessions)]

    def _run(self, session, k):
        n = 0
        while not self.stop.is_set() and n < 2000:  # bounded
            n += 1
            statement = f"load {k}.{n} {secrets.token_hex(4)}"
            resp = session.post(f"{self.server.url}/api/v1/claims", json={
                "post_id": self.world.ids["post_id"], "start": self.start, "end": self.start + 23,
                "exact": "The Ministry of Justice", "statement": statement,
                "category": self.world.ids["category_name"]}, timeout=120)
            with self.lock:
                if resp.status_code == 201:
                    self.acked.append((resp.json()["id"], statement))
                else:
                    self.errors.append(f"{resp.status_code} {resp.text[:200]}")

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def wait_for(self, count):
        for _ in range(100000):  # bounded: the writers stop at 2000 each anyway
            with self.lock:
                if len(self.acked) >= count or self.errors:
                    return
            if not any(t.is_alive() for t in self.threads):
                return
            self.stop.wait(0.01)

    def snapshot(self):
        with self.lock:
            return list(self.acked)

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(300)


@pytest.fixture
def empty_target(db_url, tmp_path):
    """An empty database of the same kind as the test database, dropped afterwards."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    name = f"{url.database}_restore_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def test_backup_under_write_load_and_restore_into_an_empty_database(server, db, db_url, tmp_path, empty_target):
    world = build_world(db, tmp_path)
    backup_file = tmp_path / "backup.wbk"
    with Writers(server, world) as writers:
        writers.wait_for(30)
        before = writers.snapshot()          # acknowledged before the backup starts
        done = workbench("backup", str(backup_file), database_url=db_url, cwd=tmp_path)
        writers.wait_for(len(writers.snapshot()) + 10)   # the server keeps taking writes
    assert done.returncode == 0, done.stderr
    assert not writers.errors, writers.errors[:5]
    assert len(before) >= 30 and backup_file.stat().st_size > 0
    assert "Backed up" in done.stdout

    restored = workbench("restore", str(backup_file), database_url=empty_target, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    engine = create_engine(empty_target)
    try:
        with engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT id, statement FROM claim")).all())
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            audit = conn.execute(text("SELECT count(*) FROM audit_event WHERE entity_type = 'claim' "
                                      "AND action = 'create'")).scalar()
    finally:
        engine.dispose()
    missing = [(i, s) for i, s in before if rows.get(i) != s]
    assert not missing, f"{len(missing)} acknowledged writes missing after restore, e.g. {missing[:3]}"
    assert audit == len(rows)  # the copy is consistent: every claim has its audit event
    db.session.commit()
    live_head = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert head == live_head


def test_restore_refuses_a_database_that_is_not_empty(db, db_url, tmp_path, seeded):
    from workbench.corpus.models import Post
    backup_file = tmp_path / "b.wbk"
    assert workbench("backup", str(backup_file), database_url=db_url, cwd=tmp_path).returncode == 0
    posts = db.session.scalar(select(Post.id).order_by(Post.id.desc()))
    db.session.commit()
    result = workbench("restore", str(backup_file), database_url=db_url, cwd=tmp_path)
    assert result.returncode == 1
    assert "not empty" in result.stderr and "empty database" in result.stderr
    assert db.session.scalar(select(Post.id).order_by(Post.id.desc())) == posts


def test_backup_never_overwrites_and_restore_checks_the_file(db, db_url, tmp_path, empty_target):
    existing = tmp_path / "exists.wbk"
    existing.write_bytes(b"keep me")
    result = workbench("backup", str(existing), database_url=db_url, cwd=tmp_path)
    assert result.returncode == 1 and "already exists" in result.stderr
    assert existing.read_bytes() == b"keep me"
    result = workbench("restore", str(existing), database_url=empty_target, cwd=tmp_path)
    assert result.returncode == 1 and "not a" in result.stderr and "backup" in result.stderr


def test_postgres_backup_without_pg_dump_fails_clearly(db, db_url, tmp_path):
    if make_url(db_url).get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL only")
    env_path = str(tmp_path)  # a PATH with no pg_dump on it
    env = dict(os.environ, DATABASE_URL=db_url, PATH=env_path, PYTHONWARNINGS="ignore")
    result = subprocess.run([WORKBENCH, "backup", str(tmp_path / "x.wbk")], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "pg_dump was not found" in result.stderr
