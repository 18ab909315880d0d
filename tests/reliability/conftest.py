"""A real multi-process server (gunicorn, several workers) on a free loopback port, on the
test database, and HTTP sessions that log in through the real form."""
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url, proc, log):
        self.url, self.proc, self.log = url, proc, log
        self.sessions = []

    def session(self, username, password="correct horse"):
        """A requests.Session logged in as username, sending X-CSRFToken on writes."""
        s = requests.Session()
        html = s.get(self.url + "/login", timeout=30).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
            re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
        resp = s.post(self.url + "/login", data={"username": username, "password": password,
                                                 "csrf_token": token.group(1)}, allow_redirects=False, timeout=30)
        assert resp.status_code == 302, resp.text[:500]
        html = s.get(self.url + "/account", timeout=30).text
        s.headers["X-CSRFToken"] = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
        self.sessions.append(s)
        return s


@pytest.fixture(scope="module")
def _gunicorn(db_url, tmp_path_factory):
    """gunicorn with 3 workers serving the test database, one per test module (it keeps no
    state of its own between requests: each test's data lives in the database)."""
    tmp_path = tmp_path_factory.mktemp("gunicorn")
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = dict(os.environ, WB_TEST_DATABASE_URL=db_url, WB_TEST_SECRET_KEY="multi-process-secret",
               WB_TEST_INSTANCE=str(tmp_path / "server-instance"), PYTHONWARNINGS="ignore")
    env.pop("DATABASE_URL", None)
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "3", "--no-control-socket",
                                 "--bind", f"127.0.0.1:{port}", "--timeout", "120", "--graceful-timeout", "5",
                                 "tests.reliability.wsgi_app:app"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    srv = Server(url, proc, log)
    try:
        for _ in range(400):  # bounded wait for the workers to listen
            if proc.poll() is not None:
                pytest.fail("gunicorn exited:\n" + log.read_text()[-3000:])
            try:
                if requests.get(url + "/login", timeout=120).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("gunicorn did not start:\n" + log.read_text()[-3000:])
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    errors = [line for line in log.read_text().splitlines() if "Traceback" in line or "Unhandled error" in line]
    assert not errors, log.read_text()[-5000:]


@pytest.fixture
def server(_gunicorn, app, db):
    """The running server, for one test: its sessions are closed afterwards."""
    db.session.commit()
    yield _gunicorn
    for s in _gunicorn.sessions:
        s.close()
    _gunicorn.sessions.clear()
    db.session.commit()
