"""Full-text search: median and p95 of GET /api/v1/search on a generated corpus (default
10,000 posts, about 330,000 comments) for single words, phrases and filtered queries, as a
logged-in reviewer through the WSGI app in-process (server time, no network).

On SQLite the search index (FTS5) is built per database connection on first use and
rebuilt when the tables change; that first query is reported apart ("first_query_ms"),
the figures after it are steady state.

    python bench/search_bench.py --posts 10000 --rounds 5
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
        db.engine.dispose()
    return url


def run(url: str | None, work: Path, posts: int, rounds: int) -> dict:
    url = prepare(url, work, posts)
    app = common.make_app(url, work)
    client = app.test_client()
    login_as(client)
    started = time.perf_counter()
    resp = client.get("/api/v1/search?q=probation")
    first = time.perf_counter() - started
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    out = {"posts": posts, "first_query_ms": round(first * 1000, 1)}
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
    ap.add_argument("--database-url", help="PostgreSQL URL instead of SQLite (the database is WIPED)")
    common.add_common_args(ap)
    args = ap.parse_args(argv)
    if not available():
        print("search is not built yet (workbench/search/api.py is missing): nothing to measure")
        return 0
    with common.workdir(args.workdir) as work:
        result = {"machine": common.machine(), "database": "postgresql" if args.database_url else "sqlite",
                  **run(args.database_url, work, args.posts, args.rounds)}
    common.emit(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
