"""Shared helpers for the benchmarks: machine facts, throwaway databases, a gunicorn server,
a tiny HTTP client that logs in like the pages do, and percentile maths.

Everything binds to 127.0.0.1, every server started here is stopped here, and nothing
touches the instance/ folder of the checkout: each run works in its own temporary folder.
"""
import http.client
import json
import os
import platform
import re
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
PASSWORD = "bench-pass-123"


def machine() -> dict:
    """The facts docs/benchmarks.md records next to every figure."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "nproc": os.cpu_count(),
            "memory_gb": round(mem_kb / 1024 / 1024, 1), "cpu": cpu,
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            # Other work on the machine skews every timing: the 1-minute load when the run began.
            "loadavg_1m": round(os.getloadavg()[0], 2)}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far. VmHWM, not ru_maxrss: Linux carries
    ru_maxrss over from the parent through fork and exec, so a child started by a big parent
    would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary_ms(seconds: list[float]) -> dict:
    ms = [x * 1000 for x in seconds]
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 2) if ms else None,
            "p95_ms": round(percentile(ms, 95), 2), "p99_ms": round(percentile(ms, 99), 2),
            "max_ms": round(max(ms), 2) if ms else None}


def emit(result: dict, as_json: bool) -> None:
    """Print a result: one JSON object (for scripts and tests) or readable lines."""
    if as_json:
        print(json.dumps(result, sort_keys=True))
        return
    for key, value in result.items():
        print(f"{key:>24}: {json.dumps(value) if isinstance(value, (dict, list)) else value}")


# --- databases --------------------------------------------------------------------------------

def fresh_database(url: str | None, workdir: Path) -> str:
    """An empty, migrated database: a new SQLite file in workdir, or the given URL wiped first
    (PostgreSQL: the public schema is dropped, so never point this at data you want)."""
    from sqlalchemy import create_engine, text
    if not url:
        for suffix in ("", "-wal", "-shm"):
            (workdir / f"bench.sqlite{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{workdir / 'bench.sqlite'}"
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    app = make_app(url, workdir)
    from flask_migrate import upgrade
    with app.app_context():
        upgrade()
        from workbench.extensions import db
        db.engine.dispose()
    return url


def make_app(url: str, workdir: Path):
    from workbench import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret",
                       "INSTANCE_PATH": str(workdir / "instance")})


def create_users(names_roles: list[tuple[str, str]]) -> list:
    """Users with the bench password (inside an app context); committed."""
    from workbench.auth.services import create_user
    from workbench.extensions import db
    users = [create_user(name, PASSWORD, role) for name, role in names_roles]
    db.session.commit()
    return users


@contextmanager
def workdir(keep: str | None = None):
    """A temporary folder, or the given one (kept) when --workdir is passed."""
    if keep:
        path = Path(keep)
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="wb-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# --- a real server ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(url: str, workdir: Path, workers: int = 1, threads: int = 1):
    """gunicorn serving create_app on 127.0.0.1 with DATABASE_URL=url; stopped on exit."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url)
    factory = f"workbench:create_app({{'INSTANCE_PATH': {str(workdir / 'instance')!r}, 'SECRET_KEY': 'bench-secret'}})"
    log = open(workdir / "gunicorn.log", "ab")
    cmd = [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
           "--workers", str(workers), "--threads", str(threads), "--no-control-socket",
           "--timeout", "30", "--graceful-timeout", "5", "--chdir", str(ROOT), factory]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start; see " + str(workdir / "gunicorn.log"))
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


class HttpClient:
    """A logged-in session over plain http.client: cookie, CSRF header, JSON in and out.
    One new connection per request, as gunicorn's sync workers close after each response."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}
        self.csrf = None

    def request(self, method: str, path: str, body=None, form: dict | None = None) -> tuple[int, bytes]:
        headers = {"Connection": "close"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            from urllib.parse import urlencode
            data = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.csrf and method not in ("GET", "HEAD"):
            headers["X-CSRFToken"] = self.csrf
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            for name, value in resp.getheaders():
                if name.lower() == "set-cookie":
                    k, _, rest = value.partition("=")
                    self.cookies[k.strip()] = rest.split(";", 1)[0]
            return resp.status, payload
        finally:
            conn.close()

    def json(self, method: str, path: str, body=None) -> tuple[int, dict]:
        status, payload = self.request(method, path, body)
        try:
            return status, json.loads(payload or b"null")
        except ValueError:
            return status, {"raw": payload[:200].decode("utf-8", "replace")}

    def _csrf_from(self, path: str) -> str:
        _, html = self.request("GET", path)
        m = re.search(rb'<meta name="csrf-token" content="([^"]+)"', html)
        if not m:
            raise RuntimeError(f"no csrf-token meta on {path}")
        return m.group(1).decode()

    def login(self, username: str, password: str = PASSWORD) -> "HttpClient":
        token = self._csrf_from("/login")
        status, _ = self.request("POST", "/login", form={"username": username, "password": password,
                                                         "csrf_token": token})
        if status != 302:
            raise RuntimeError(f"login as {username} failed with {status}")
        self.csrf = self._csrf_from("/account")
        return self


def span_targets(limit: int = 2000) -> list[dict]:
    """(post, comment, start, end, exact) tuples on real comment words, inside an app context:
    every word of 6+ letters in the first comments, so claim bodies always pass the span check."""
    from sqlalchemy import select
    from workbench.corpus.models import Comment
    from workbench.extensions import db
    out = []
    for c in db.session.execute(select(Comment.id, Comment.post_id, Comment.text).order_by(Comment.id)
                                .limit(max(50, limit // 4))):
        for m in re.finditer(r"[A-Za-z]{6,}", c.text):
            out.append({"post_id": c.post_id, "comment_id": c.id, "start": m.start(), "end": m.end(),
                        "exact": m.group(0)})
            if len(out) >= limit:
                return out
    return out


def claim_body(target: dict, i: int, verdict: bool = True) -> dict:
    """A full claim as the annotate form sends it: span, statement, category, a source, a verdict."""
    body = dict(target, statement=f"Bench claim {i}: {target['exact']}", category="reoffending",
                sources=[{"url": f"https://example.org/source/{i}", "title": "A report", "publisher": "ONS",
                          "quote": "table 1", "locator": "p. 3", "stance": "supports"}])
    if verdict:
        body["verdict"] = {"rating": "mostly_true", "rationale": "Checked against the report."}
    return body


def add_common_args(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    parser.add_argument("--workdir", help="keep working files here instead of a temporary folder")
