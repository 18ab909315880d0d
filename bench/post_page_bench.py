"""The post page (GET /posts/<id>): server time and SQL statements for a post with 300
comments and 1,000 claims (created through the services, 3 reviewers' verdicts each), next to
a post with 10 comments and no claims. The page embeds the claims payload.

Server time is the WSGI call in-process (Flask test client, logged-in reviewer, no network),
so it is what the server spends per page; over loopback add about 1 ms. SQL statements are
counted on the engine while the request runs. cpu_median_ms is the CPU time of the request's
thread: on a busy machine wall time includes waiting for a core, CPU time much less so, which
makes it the better figure for comparing two versions back to back. --profile prints where
the big post's time goes (cProfile over 10 requests).

    python bench/post_page_bench.py --comments 300 --claims 1000 --requests 50
"""
import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402


def prepare(url: str | None, work: Path, comments: int, claims: int) -> tuple[str, int, int]:
    from generate_corpus import write_post
    from generate_claims import via_services
    url = common.fresh_database(url, work)
    corpus = work / "corpus"
    corpus.mkdir()
    write_post(corpus / "big.txt", 1, comments, seed=5)
    write_post(corpus / "small.txt", 2, 10, seed=6)
    app = common.make_app(url, work)
    with app.app_context():
        from sqlalchemy import select
        from workbench.corpus.models import Post
        from workbench.corpus.services import import_paths
        from workbench.extensions import db
        import_paths([corpus])
        db.session.commit()
        big = db.session.scalar(select(Post.id).where(Post.source_name == "big.txt"))
        small = db.session.scalar(select(Post.id).where(Post.source_name == "small.txt"))
        if claims:
            via_services(claims, 3, 1, big)
        common.create_users([("bench_reader", "reviewer")])
        db.engine.dispose()
    return url, big, small


def login(client) -> None:
    def token(path):
        return re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)
    resp = client.post("/login", data={"username": "bench_reader", "password": common.PASSWORD,
                                       "csrf_token": token("/login")})
    assert resp.status_code == 302, resp.status_code


def measure(app, client, path: str, requests: int) -> dict:
    from sqlalchemy import event
    from workbench.extensions import db
    with app.app_context():
        engine = db.engine
    counts = []
    box = {"n": 0}

    def on_exec(*_):
        box["n"] += 1
    event.listen(engine, "before_cursor_execute", on_exec)
    times, cpu, size = [], [], 0
    try:
        for i in range(requests + 3):
            box["n"] = 0
            started, started_cpu = time.perf_counter(), time.thread_time()
            resp = client.get(path)
            elapsed, elapsed_cpu = time.perf_counter() - started, time.thread_time() - started_cpu
            assert resp.status_code == 200, resp.status_code
            if i >= 3:                       # the first requests warm caches (templates, SQL)
                times.append(elapsed)
                cpu.append(elapsed_cpu)
                counts.append(box["n"])
                size = len(resp.data)
    finally:
        event.remove(engine, "before_cursor_execute", on_exec)
    return {**common.summary_ms(times), "cpu_median_ms": round(statistics.median(cpu) * 1000, 2),
            "sql_statements": max(counts), "html_kb": round(size / 1024)}


def profile(client, path: str, top: int = 25) -> None:
    """Where one page's time goes: cProfile over 10 requests, by own time, to stderr."""
    import cProfile
    import pstats
    client.get(path)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(10):
        client.get(path)
    prof.disable()
    pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(top)


def run(url: str | None, work: Path, comments: int, claims: int, requests: int, with_profile: bool = False) -> dict:
    url, big, small = prepare(url, work, comments, claims)
    app = common.make_app(url, work)
    client = app.test_client()
    login(client)
    if with_profile:
        profile(client, f"/posts/{big}")
    return {"big_post": {"comments": comments, "claims": claims, **measure(app, client, f"/posts/{big}", requests)},
            "small_post": {"comments": 10, "claims": 0, **measure(app, client, f"/posts/{small}", requests)},
            "claims_api_big_post": measure(app, client, f"/api/v1/posts/{big}/claims", max(5, requests // 5))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--comments", type=int, default=300)
    ap.add_argument("--claims", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--database-url", help="PostgreSQL URL instead of SQLite (the database is WIPED)")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of the big post page to stderr")
    common.add_common_args(ap)
    args = ap.parse_args(argv)
    with common.workdir(args.workdir) as work:
        result = {"machine": common.machine(), "database": "postgresql" if args.database_url else "sqlite",
                  **run(args.database_url, work, args.comments, args.claims, args.requests, args.profile)}
    common.emit(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
