"""Claim creation over HTTP on loopback: POST /api/v1/claims with a span, a statement, a
category, one source and a verdict (span check, claim, span, source, verdict, audit events,
one commit, and the claim as JSON in the answer), one request at a time against gunicorn
(1 sync worker) as a logged-in reviewer sending the CSRF header like the pages do.

Latency is measured by the client, connection set-up included. After each claim the same client
times GET /api/v1/categories (log-in check, one small query): that floor, measured under the same
load, shows how much of a claim's time is the request itself. The SQL statements one such
request sends (BEGIN not counted) are counted in-process through the Flask test client before
the server starts: a figure that does not depend on how busy the machine is.

    python bench/claim_api_bench.py --claims 500

--list measures the other direction: GET /api/v1/posts/<id>/claims on a post with 300 comments and
--claims claims (1,000 by default: created through the services, 3 reviewers' verdicts each, as in
post_page_bench.py), in-process through the Flask test client (no network, so the figure is
what the server spends), for a reviewer under blind review and for a lead (who sees every
verdict, the larger answer). Median, p95, CPU median and the SQL statements per request:

    python bench/claim_api_bench.py --list --claims 1000 --requests 50
"""
import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402


def prepare(url: str | None, work: Path, posts: int) -> str:
    """A fresh database with a small generated corpus and one reviewer; returns its URL."""
    from generate_corpus import generate
    url = common.fresh_database(url, work)
    generate(posts, work / "corpus", seed=3)
    app = common.make_app(url, work)
    with app.app_context():
        from workbench.corpus.services import import_paths
        from workbench.extensions import db
        import_paths([work / "corpus"])
        db.session.commit()
        common.create_users([("bench_rita", "reviewer")])
        db.engine.dispose()
    return url


def targets(url: str, work: Path, n: int) -> list[dict]:
    app = common.make_app(url, work)
    with app.app_context():
        out = common.span_targets(n)
        from workbench.extensions import db
        db.engine.dispose()
    return out


def statements_per_claim(url: str, work: Path, spot: dict) -> int:
    """SQL statements sent by one POST /api/v1/claims (after one warm-up), counted on the engine."""
    import re
    from sqlalchemy import event
    app = common.make_app(url, work)
    client = app.test_client()

    def csrf(path):
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "bench_rita", "password": common.PASSWORD, "csrf_token": csrf("/login")})
    token = csrf("/account")
    with app.app_context():
        from workbench.extensions import db
        engine = db.engine
    sent = []
    event.listen(engine, "before_cursor_execute", lambda conn, cur, statement, *a: sent.append(statement))
    for i in range(2):
        sent.clear()
        resp = client.post("/api/v1/claims", json=common.claim_body(spot, -1 - i), headers={"X-CSRFToken": token})
        if resp.status_code != 201:
            raise RuntimeError(f"in-process claim creation failed with {resp.status_code}")
    engine.dispose()
    return sum(not s.startswith("BEGIN") for s in sent)


def run(url: str | None, work: Path, claims: int, warmup: int, posts: int) -> dict:
    url = prepare(url, work, posts)
    spots = targets(url, work, claims + warmup)
    statements = statements_per_claim(url, work, spots[0])
    with common.gunicorn(url, work, workers=1) as base:
        client = common.HttpClient(base).login("bench_rita")
        latencies, floor, errors = [], [], 0
        for i, spot in enumerate(spots[:claims + warmup]):
            started = time.perf_counter()
            status, _ = client.json("POST", "/api/v1/claims", common.claim_body(spot, i))
            elapsed = time.perf_counter() - started
            if status != 201:
                errors += 1
            elif i >= warmup:
                latencies.append(elapsed)
            # The floor, interleaved so it sees the same machine load: an authenticated request
            # that does next to nothing (one small query), through the same server and client.
            started = time.perf_counter()
            status, _ = client.request("GET", "/api/v1/categories")
            if status == 200 and i >= warmup:
                floor.append(time.perf_counter() - started)
    return {"claims": len(latencies), "errors": errors, "sql_statements_per_claim": statements,
            **common.summary_ms(latencies), "floor_get_categories_median_ms": common.summary_ms(floor)["median_ms"]}


def run_list(url: str | None, work: Path, claims: int, comments: int, requests: int) -> dict:
    """The claims list of one big post, timed in-process for a blind reviewer and for a lead."""
    import post_page_bench
    url, big, _ = post_page_bench.prepare(url, work, comments, claims)
    app = common.make_app(url, work)
    with app.app_context():
        common.create_users([("bench_list_lead", "lead")])
        from workbench.extensions import db
        db.engine.dispose()
    path = f"/api/v1/posts/{big}/claims"
    out = {"claims": claims, "comments": comments}
    for label, username in (("reviewer_blind", "bench_reader"), ("lead", "bench_list_lead")):
        client = app.test_client()
        token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
        resp = client.post("/login", data={"username": username, "password": common.PASSWORD, "csrf_token": token})
        if resp.status_code != 302:
            raise RuntimeError(f"login as {username} failed with {resp.status_code}")
        out[label] = post_page_bench.measure(app, client, path, requests)
        out[label]["body_kb"] = out[label].pop("html_kb")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, help="claims to create (default 500), or with --list on the post (1000)")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--posts", type=int, default=20, help="posts in the generated corpus")
    ap.add_argument("--database-url", help="PostgreSQL URL instead of SQLite (the database is WIPED)")
    ap.add_argument("--list", action="store_true", help="time GET /posts/<id>/claims instead of claim creation")
    ap.add_argument("--requests", type=int, default=50, help="--list: requests timed per viewer")
    ap.add_argument("--comments", type=int, default=300, help="--list: comments on the big post")
    common.add_common_args(ap)
    args = ap.parse_args(argv)
    if args.list:
        with common.workdir(args.workdir) as work:
            result = {"machine": common.machine(), "database": "postgresql" if args.database_url else "sqlite",
                      "server": "in-process (Flask test client)",
                      **run_list(args.database_url, work, args.claims or 1000, args.comments, args.requests)}
        common.emit(result, args.json)
        return 0
    with common.workdir(args.workdir) as work:
        result = {"machine": common.machine(), "database": "postgresql" if args.database_url else "sqlite",
                  "server": "gunicorn, 1 sync worker",
                  **run(args.database_url, work, args.claims or 500, args.warmup, args.posts)}
    common.emit(result, args.json)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
