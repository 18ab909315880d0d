"""Import speed: comments per second and peak memory through the real importer
(workbench.corpus.services.import_paths, one transaction, as `workbench import` runs it),
against a raw baseline in the same run: the same parser, then SQLAlchemy Core bulk
INSERTs of the same post and comment rows with ids assigned in Python (no idempotency
checks, no hashing, no RETURNING), in one process, and on SQLite the same full-text
indexing as the importer (row triggers paused, one INSERT … SELECT per table at the end).
The ratio importer/raw is the importer's overhead. A third run, "raw-noindex", is the raw
baseline without any full-text index, to show what the search index costs. A fourth, "floor"
(SQLite only), times SQLite alone: every file is parsed and every row built before the clock
starts, then the sqlite3 driver itself (no SQLAlchemy) inserts the rows, fills the same FTS5
index and commits, with the importer's settings. No importer can store and index these
comments faster on this machine than the floor does.

Each measurement runs in a fresh child process on a fresh database, so peak memory
(ru_maxrss) belongs to that run alone.

    python bench/import_bench.py --posts 2000 --posts 10000
    python bench/import_bench.py --posts 2000 --database-url postgresql+psycopg://…/wb_bench
"""
import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

KINDS = ("importer", "raw", "raw-noindex", "floor")


def run_importer(corpus: Path, url: str, work: Path) -> dict:
    app = common.make_app(url, work)
    with app.app_context():
        from workbench.corpus.services import import_paths
        from workbench.extensions import db
        base = common.peak_rss_mb()
        started = time.perf_counter()
        report = import_paths([corpus])
        db.session.commit()
        elapsed = time.perf_counter() - started
        assert not report.failed, report.summary()
        return {"comments": report.comments_imported, "posts": report.count("imported"),
                "seconds": round(elapsed, 3), "baseline_rss_mb": round(base, 1)}


def run_raw(corpus: Path, url: str, work: Path, index: bool = True) -> dict:
    """Parse every file, then executemany INSERTs of the same rows in batches of 400 files."""
    from sqlalchemy import create_engine, insert
    from workbench.corpus.models import Comment, Post
    from workbench.corpus.parser import parse_bytes
    engine = create_engine(url)
    files = sorted(corpus.rglob("*.txt"))
    base = common.peak_rss_mb()
    started = time.perf_counter()
    post_id = comment_id = 0
    n_comments = 0
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        if sqlite:   # no per-row trigger indexing in either raw variant
            conn.exec_driver_sql("INSERT INTO search_index_paused DEFAULT VALUES")
        for start in range(0, len(files), 400):
            posts, comments = [], []
            for path in files[start:start + 400]:
                p = parse_bytes(path.read_bytes(), path.name)
                post_id += 1
                posts.append(dict(id=post_id, slug=p.slug, date=p.date, title=p.title, body=p.body,
                                  declared_comment_count=p.declared_comment_count, comment_count=len(p.comments),
                                  source_name=path.name, content_hash=""))
                ids = {}
                for pos, c in enumerate(p.comments):
                    comment_id += 1
                    ids[c.path] = comment_id
                    comments.append(dict(id=comment_id, post_id=post_id, parent_id=ids.get(c.parent_path),
                                         path=c.path, position=pos, depth=c.depth, text=c.text))
            conn.execute(insert(Post), posts)
            conn.execute(insert(Comment), comments)
            n_comments += len(comments)
        if sqlite:
            if index:
                conn.exec_driver_sql("INSERT INTO fts_post (rowid, title, body) SELECT id, title, body FROM post")
                conn.exec_driver_sql("INSERT INTO fts_comment (rowid, text) SELECT id, text FROM comment")
            conn.exec_driver_sql("DELETE FROM search_index_paused")
    elapsed = time.perf_counter() - started
    engine.dispose()
    return {"comments": n_comments, "posts": post_id, "seconds": round(elapsed, 3),
            "baseline_rss_mb": round(base, 1)}


def run_floor(corpus: Path, url: str) -> dict:
    """SQLite's own cost of storing and indexing the rows: parsing and row building untimed."""
    import sqlite3
    from workbench.corpus.parser import parse_bytes
    from workbench.corpus.services import IMPORT_CACHE_KIB
    posts, comments, comment_id = [], [], 0
    for post_id, path in enumerate(sorted(corpus.rglob("*.txt")), 1):
        p = parse_bytes(path.read_bytes(), path.name)
        posts.append((post_id, p.slug, p.date.isoformat(), p.title, p.body, p.declared_comment_count,
                      len(p.comments), path.name, "", "2026-01-01 00:00:00"))
        ids = {}
        for pos, c in enumerate(p.comments):
            comment_id += 1
            ids[c.path] = comment_id
            comments.append((comment_id, post_id, ids.get(c.parent_path), c.path, pos, c.depth, c.text))
    base = common.peak_rss_mb()
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL", f"cache_size=-{IMPORT_CACHE_KIB}"):
        conn.execute(f"PRAGMA {pragma}")   # the settings workbench/db.py and the importer use
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO search_index_paused DEFAULT VALUES")
    conn.executemany("INSERT INTO post (id, slug, date, title, body, declared_comment_count, comment_count, "
                     "source_name, content_hash, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", posts)
    conn.executemany("INSERT INTO comment (id, post_id, parent_id, path, position, depth, text) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)", comments)
    conn.execute("INSERT INTO fts_post (rowid, title, body) SELECT id, title, body FROM post")
    conn.execute("INSERT INTO fts_comment (rowid, text) SELECT id, text FROM comment")
    conn.execute("DELETE FROM search_index_paused")
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return {"comments": len(comments), "posts": len(posts), "seconds": round(elapsed, 3),
            "baseline_rss_mb": round(base, 1)}


def child(args) -> int:
    work = Path(args.child_workdir)
    url = common.fresh_database(args.database_url, work)
    if args.child == "importer":
        result = run_importer(Path(args.corpus), url, work)
    elif args.child == "floor":
        result = run_floor(Path(args.corpus), url)
    else:
        result = run_raw(Path(args.corpus), url, work, index=args.child == "raw")
    result["peak_rss_mb"] = round(common.peak_rss_mb(), 1)
    # The importer's parsing worker (workbench/corpus/reading.py) is a child process: its own peak.
    result["worker_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    result["comments_per_s"] = round(result["comments"] / result["seconds"])
    print(json.dumps(result))
    return 0


def measure(kind: str, corpus: Path, url: str | None, work: Path) -> dict:
    sub = work / f"{kind}-{corpus.name}"
    sub.mkdir(exist_ok=True)
    cmd = [sys.executable, __file__, "--child", kind, "--corpus", str(corpus), "--child-workdir", str(sub)]
    if url:
        cmd += ["--database-url", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"{kind} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, action="append",
                    help="corpus size in posts (repeatable; default 2000 and 10000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--database-url", help="PostgreSQL URL to benchmark instead of a fresh SQLite file "
                                           "(the database is WIPED before each run)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per measurement; the best is kept")
    ap.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--child-workdir", help=argparse.SUPPRESS)
    common.add_common_args(ap)
    args = ap.parse_args(argv)
    if args.child:
        return child(args)
    from generate_corpus import generate
    result = {"machine": common.machine(), "database": "postgresql" if args.database_url else "sqlite",
              "runs": []}
    with common.workdir(args.workdir) as work:
        for posts in args.posts or [2000, 10000]:
            corpus = work / f"corpus-{posts}"
            _, comments = generate(posts, corpus, args.seed)
            best = {}
            for kind in KINDS if not args.database_url else KINDS[:-1]:   # the floor: SQLite's
                runs = [measure(kind, corpus, args.database_url, work) for _ in range(args.repeat)]
                best[kind] = min(runs, key=lambda r: r["seconds"])
            result["runs"].append({
                "posts": posts, "comments": comments, **{k: v for k, v in best.items()},
                "ratio_importer_to_raw": round(best["importer"]["seconds"] / best["raw"]["seconds"], 2),
                "ratio_importer_to_raw_noindex": round(best["importer"]["seconds"] / best["raw-noindex"]["seconds"], 2),
                **({"ratio_importer_to_floor": round(best["importer"]["seconds"] / best["floor"]["seconds"], 2)}
                   if "floor" in best else {})})
    common.emit(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
