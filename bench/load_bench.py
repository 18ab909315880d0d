"""Concurrent reviewers: N simulated reviewers (threads, default 16), each logged in with its
own session, loop for a fixed time over: the post index now and then, a post page, that
post's claims JSON, a new claim (span + source + own verdict), and a verdict on a claim
someone else made. Against gunicorn with 2 sync workers on 127.0.0.1, on SQLite (default)
or PostgreSQL (--database-url). Bounded: fixed duration, per-request timeout 30 s.

Reports requests/s, p50/p95/p99 per kind, errors (any unexpected status or exception), and
afterwards checks in the database that every acknowledged write (201 claim, 200 verdict)
is there: claims by id, verdicts by (claim, reviewer, rating).

    python bench/load_bench.py --duration 30
    python bench/load_bench.py --duration 30 --database-url postgresql+psycopg://…/wb_bench
"""
import argparse
import random
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

RATINGS = ["true", "mostly_true", "mixed", "mostly_false", "false", "unverifiable"]


def prepare(url: str | None, work: Path, posts: int, reviewers: int) -> tuple[str, list[int], list[dict]]:
    from generate_corpus import generate
    url = common.fresh_database(url, work)
    generate(posts, work / "corpus", seed=7)
    app = common.make_app(url, work)
    with app.app_context():
        from sqlalchemy import select
        from workbench.corpus.models import Post
        from workbench.corpus.services import import_paths
        from workbench.extensions import db
        import_paths([work / "corpus"])
        db.session.commit()
        common.create_users([(f"load_{i}", "reviewer") for i in range(reviewers)])
        post_ids = list(db.session.scalars(select(Post.id).order_by(Post.id)))
        spots = common.span_targets(5000)
        db.engine.dispose()
    return url, post_ids, spots


class Shared:
    """What the reviewer threads record: latencies per kind, errors, acknowledged writes."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)
        self.errors: list[str] = []
        self.claims: list[int] = []                  # acknowledged claim ids
        self.verdicts: list[tuple[int, str, str]] = []  # (claim, reviewer, rating) acknowledged

    def note(self, kind: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            if not ok:
                self.errors.append(f"{kind}: {detail}"[:300])


def reviewer(client: "common.HttpClient", name: str, post_ids: list[int], spots: list[dict], shared: Shared,
             deadline: float, seed: int) -> None:
    rng = random.Random(seed)

    def call(kind, method, path, body=None, expect=200):
        started = time.perf_counter()
        try:
            status, data = client.json(method, path, body) if method != "GET" or kind.endswith("json") \
                else (client.request(method, path)[0], None)
        except Exception as exc:
            shared.note(kind, time.perf_counter() - started, False, repr(exc))
            return None
        ok = status == expect
        shared.note(kind, time.perf_counter() - started, ok, f"{status} {str(data)[:200]}")
        return data if ok else None

    n = 0
    while time.monotonic() < deadline:
        n += 1
        post_id = rng.choice(post_ids)
        if n % 5 == 1:
            call("index", "GET", f"/?page={rng.randint(1, 3)}")
        call("post_page", "GET", f"/posts/{post_id}")
        call("claims_json", "GET", f"/api/v1/posts/{post_id}/claims")
        spot = rng.choice(spots)
        rating = rng.choice(RATINGS)
        body = common.claim_body(spot, n, verdict=False)
        body["verdict"] = {"rating": rating, "rationale": f"{name} #{n}"}
        made = call("create_claim", "POST", "/api/v1/claims", body, expect=201)
        if made:
            with shared.lock:
                shared.claims.append(made["id"])
                shared.verdicts.append((made["id"], name, rating))
        with shared.lock:
            other = rng.choice(shared.claims) if shared.claims else None
        if other:
            rating = rng.choice(RATINGS)
            if call("put_verdict", "PUT", f"/api/v1/claims/{other}/verdict",
                    {"rating": rating, "rationale": f"{name} on {other}"}) is not None:
                with shared.lock:
                    shared.verdicts.append((other, name, rating))


def check_writes(url: str, work: Path, shared: Shared) -> dict:
    """Every acknowledged claim and verdict is in the database."""
    app = common.make_app(url, work)
    with app.app_context():
        from sqlalchemy import select
        from workbench.annotations.models import Claim, Verdict
        from workbench.auth.models import User
        from workbench.extensions import db
        claim_ids = set(db.session.scalars(select(Claim.id)))
        rows = set(db.session.execute(select(Verdict.claim_id, User.username, Verdict.rating)
                                      .join(User, User.id == Verdict.reviewer_id)).all())
        rows = {(c, u, r.value if hasattr(r, "value") else r) for c, u, r in rows}
        db.engine.dispose()
    lost_claims = [c for c in shared.claims if c not in claim_ids]
    lost_verdicts = [v for v in shared.verdicts if v not in rows]
    return {"acknowledged_claims": len(shared.claims), "acknowledged_verdicts": len(shared.verdicts),
            "lost_claims": len(lost_claims), "lost_verdicts": len(lost_verdicts),
            "lost_examples": [*lost_claims[:3], *lost_verdicts[:3]]}


def run(url: str | None, work: Path, users: int, duration: float, posts: int, workers: int) -> dict:
    url, post_ids, spots = prepare(url, work, posts, users)
    shared = Shared()
    with common.gunicorn(url, work, workers=workers) as base:
        # Everyone logs in first, so the timed part is only the reviewing.
        deadline_holder = {}
        logged_in = threading.Barrier(users + 1)
        go = threading.Event()

        def worker(i):
            try:
                client = common.HttpClient(base).login(f"load_{i}")
            except Exception as exc:  # a failed login is an error of the run, not a crash of the bench
                shared.note("login", 0.0, False, repr(exc))
                client = None
            logged_in.wait()
            go.wait()
            if client is not None:
                reviewer(client, f"load_{i}", post_ids, spots, shared, deadline_holder["t"], seed=i)
        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(users)]
        for t in threads:
            t.start()
        logged_in.wait()
        deadline_holder["t"] = time.monotonic() + duration
        started = time.perf_counter()
        go.set()
        for t in threads:
            t.join(duration + 120)
        elapsed = time.perf_counter() - started
    total = sum(len(v) for k, v in shared.latency.items() if k != "login")
    all_latencies = [x for k, v in shared.latency.items() if k != "login" for x in v]
    result = {"users": users, "gunicorn_workers": workers, "duration_s": round(elapsed, 1),
              "requests": total, "requests_per_s": round(total / elapsed, 1),
              "errors": len(shared.errors), "error_examples": shared.errors[:5],
              "all": common.summary_ms(all_latencies),
              "by_kind": {k: common.summary_ms(v) for k, v in sorted(shared.latency.items()) if k != "login"}}
    result.update(check_writes(url, work, shared))
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=16, help="simulated reviewers (threads)")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of load (bounded)")
    ap.add_argument("--posts", type=int, default=60, help="posts in the generated corpus")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    ap.add_argument("--database-url", help="PostgreSQL URL instead of SQLite (the database is WIPED)")
    common.add_common_args(ap)
    args = ap.parse_args(argv)
    if not 0 < args.duration <= 600:
        ap.error("--duration must be between 0 and 600 seconds")
    with common.workdir(args.workdir) as work:
        result = {"machine": common.machine(), "database": "postgresql" if args.database_url else "sqlite",
                  **run(args.database_url, work, args.users, args.duration, args.posts, args.workers)}
    common.emit(result, args.json)
    return 1 if result["errors"] or result["lost_claims"] or result["lost_verdicts"] else 0


if __name__ == "__main__":
    sys.exit(main())
