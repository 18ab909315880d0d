"""Claim creation over HTTP on loopback: POST /api/v1/claims with a span, a statement, a
category, one source and a verdict (span check, claim, span, source, verdict, audit events,
one commit, and the claim read back as JSON), one request at a time against gunicorn
(1 sync worker) as a logged-in reviewer sending the CSRF header like the pages do.

Latency is measured by the client, connection set-up included.

    python bench/claim_api_bench.py --claims 500
"""
import argparse
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


def run(url: str | None, work: Path, claims: int, warmup: int, posts: int) -> dict:
    url = prepare(url, work, posts)
    spots = targets(url, work, claims + warmup)
    with common.gunicorn(url, work, workers=1) as base:
        client = common.HttpClient(base).login("bench_rita")
        latencies, errors = [], 0
        for i, spot in enumerate(spots[:claims + warmup]):
            started = time.perf_counter()
            status, _ = client.json("POST", "/api/v1/claims", common.claim_body(spot, i))
            elapsed = time.perf_counter() - started
            if status != 201:
                errors += 1
            elif i >= warmup:
                latencies.append(elapsed)
    return {"claims": len(latencies), "errors": errors, **common.summary_ms(latencies)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--posts", type=int, default=20, help="posts in the generated corpus")
    ap.add_argument("--database-url", help="PostgreSQL URL instead of SQLite (the database is WIPED)")
    common.add_common_args(ap)
    args = ap.parse_args(argv)
    with common.workdir(args.workdir) as work:
        result = {"machine": common.machine(), "database": "postgresql" if args.database_url else "sqlite",
                  "server": "gunicorn, 1 sync worker",
                  **run(args.database_url, work, args.claims, args.warmup, args.posts)}
    common.emit(result, args.json)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
