"""Full-text search: median and p95 of GET /api/v1/search on a generated corpus (default
10,000 posts, about 330,000 comments) for single words, phrases and filtered queries, as a
logged-in reviewer through the WSGI app in-process (server time, no network).

The search index is stored and kept current by the database (migration 0002); the first query
after start is reported apart ("first_query_ms") as it warms the caches, the figures after it
are steady state.

    python bench/search_bench.py --posts 10000 --rounds 5

Building a 10,000-post database takes minutes. To build it once and measure it many times, keep
it with --workdir (SQLite) or --database-url (PostgreSQL) and pass --reuse on later runs: a
database already holding the bench user and the same number of posts is searched as it is
(schema migrated to the latest revision first, data kept); otherwise it is rebuilt.

    python bench/search_bench.py --posts 10000 --workdir /tmp/sb10k --reuse
"""
import argparse
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

WORDS = ["probation", "inspection", "reoffending", "caseloads", "privatisation", "Grayling", "unions", "training"]
PHRASES = ['"Chief Inspector"', '"Community Rehabilitation"', '"Ministry of Justice"', '"probation service"']
FILTERED = [{"q": "probation", "date_from": "2015-01-01", "date_to": "2016-12-31"},
            {"q": "inspection", "kind": "comment"},
            {"q": '"Ministry of Justice"', "kind": "post", "date_from": "2018-01-01"},
            {"q": "staff", "has_claims": "0"}]


def available() -> bool:
    import importlib.util
    return importlib.util.find_spec("workbench.search.api") is not None


def prepare(url: str | None, work: Path, posts: int) -> str:
    from generate_corpus import generate
    url = common.fresh_database(url, work)
    generate(posts, work / "corpus", seed=13)
    app = common.make_app(url, work)
    with app.app_context():
        from workbench.corpus.services import import_paths
        from workbench.extensions import db
        import_paths([work / "corpus"])
        db.session.commit()
        common.create_users([("bench_searcher", "reviewer")])
        if db.engine.dialect.name == "postgresql":
            # Planner statistics as autovacuum would leave them a minute later (without them
            # every plan is a guess: 5x slower phrases at 10,000 posts).
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE post")
                conn.exec_driver_sql("VACUUM ANALYZE comment")
        db.engine.dispose()
    return url


def reusable(url: str | None, work: Path, posts: int) -> str | None:
    """The URL of an earlier run's database if it holds this corpus size and the bench user
    (migrated to the latest revision, data kept), else None."""
    from sqlalchemy import create_engine, text
    if not url:
        if not (work / "bench.sqlite").exists():
            return None
        url = f"sqlite:///{work / 'bench.sqlite'}"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            n = conn.execute(text("SELECT count(*) FROM post")).scalar()
            user = conn.execute(text("SELECT count(*) FROM \"user\" WHERE username = 'bench_searcher'")).scalar()
    except Exception:   # no schema yet
        return None
    finally:
        engine.dispose()
    if not user or n != posts:
        return None
    app = common.make_app(url, work)
    from flask_migrate import upgrade
    with app.app_context():
        upgrade()
        from workbench.extensions import db
        db.engine.dispose()
    return url


def run(url: str | None, work: Path, posts: int, rounds: int, reuse: bool = False) -> dict:
    kept = reusable(url, work, posts) if reuse else None
    url = kept or prepare(url, work, posts)
    app = common.make_app(url, work)
    client = app.test_client()
    login_as(client)
    started = time.perf_counter()
    resp = client.get("/api/v1/search?q=probation")
    first = time.perf_counter() - started
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    out = {"posts": posts, "reused_database": bool(kept), "first_query_ms": round(first * 1000, 1)}
    for name, queries in (("single_word", [{"q": w} for w in WORDS]), ("phrase", [{"q": p} for p in PHRASES]),
                          ("filtered", FILTERED)):
        times, hits = [], []
        for _ in range(rounds):
            for params in queries:
                started = time.perf_counter()
                resp = client.get("/api/v1/search?" + urlencode(params))
                times.append(time.perf_counter() - started)
                assert resp.status_code == 200, (params, resp.get_data(as_text=True)[:300])
                hits.append(resp.get_json().get("total", 0))
        out[name] = {**common.summary_ms(times), "median_hits": sorted(hits)[len(hits) // 2]}
    return out


def login_as(client) -> None:
    import re

    def token(path):
        return re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)
    resp = client.post("/login", data={"username": "bench_searcher", "password": common.PASSWORD,
                                       "csrf_token": token("/login")})
    assert resp.status_code == 302, resp.status_code


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=5, help="times each query is repeated")
    ap.add_argument("--database-url", help="PostgreSQL URL instead of SQLite (the database is WIPED, unless --reuse keeps it)")
    ap.add_argument("--reuse", action="store_true",
                    help="search the database an earlier run left (in --workdir, or at --database-url) "
                         "if it holds --posts posts and the bench user, instead of rebuilding it")
    common.add_common_args(ap)
    args = ap.parse_args(argv)
    if args.reuse and not (args.workdir or args.database_url):
        ap.error("--reuse needs --workdir (SQLite) or --database-url (PostgreSQL) to find the database")
    if not available():
        print("search is not built yet (workbench/search/api.py is missing): nothing to measure")
        return 0
    with common.workdir(args.workdir) as work:
        result = {"machine": common.machine(), "database": "postgresql" if args.database_url else "sqlite",
                  **run(args.database_url, work, args.posts, args.rounds, args.reuse)}
    common.emit(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
