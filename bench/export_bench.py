"""Export speed and memory: claims per second and peak memory for each export format
(workbench.exports.services.export, as `workbench export` runs it, written to a file),
against a raw baseline in the same run: SQLAlchemy Core SELECTs of the same rows (posts,
comments, claims, spans, sources, verdicts, audit events), streamed and dumped as one JSON
object per row to a JSON Lines file.

The database is a generated corpus with claims made by bench/generate_claims.py --mode bulk
(3 reviewers' verdicts each). Each export runs in a fresh child process, so its peak memory
(ru_maxrss) is its own; run two claim counts to see whether memory grows with claims.

    python bench/export_bench.py --posts 2000 --claims 20000 --claims 100000
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

FORMATS = ["jsonl", "w3c", "claimreview", "csv"]


def prepare(work: Path, posts: int, claims: int, url: str | None) -> str:
    from generate_claims import bulk
    from generate_corpus import generate
    url = common.fresh_database(url, work)
    generate(posts, work / "corpus", seed=11)
    app = common.make_app(url, work)
    with app.app_context():
        from workbench.corpus.services import import_paths
        from workbench.extensions import db
        import_paths([work / "corpus"])
        db.session.commit()
        bulk(claims, 3, 1, None)
        db.engine.dispose()
    return url


def export_native(url: str, work: Path, fmt: str, out: Path) -> dict:
    app = common.make_app(url, work)
    with app.app_context():
        from workbench.db import write_intent
        from workbench.exports.filters import ExportOptions
        from workbench.exports.services import export
        write_intent.set(False)
        base = common.peak_rss_mb()
        started = time.perf_counter()
        with open(out, "w", encoding="utf-8", newline="") as fh:
            for chunk in export(None, fmt, ExportOptions(), base="http://127.0.0.1:5000"):
                fh.write(chunk)
        return {"seconds": round(time.perf_counter() - started, 3), "baseline_rss_mb": round(base, 1)}


def export_raw(url: str, work: Path, out: Path) -> dict:
    from sqlalchemy import create_engine, select
    from workbench.annotations.models import Claim, ClaimSpan, Source, Verdict
    from workbench.audit import AuditEvent
    from workbench.corpus.models import Comment, Post
    engine = create_engine(url)
    base = common.peak_rss_mb()
    started = time.perf_counter()
    with engine.connect() as conn, open(out, "w", encoding="utf-8") as fh:
        for model in (Post, Comment, Claim, ClaimSpan, Source, Verdict, AuditEvent):
            table = model.__table__
            result = conn.execution_options(stream_results=True, yield_per=2000).execute(
                select(table).order_by(table.c.id))
            for row in result.mappings():
                fh.write(json.dumps({"t": table.name, **row}, default=str, ensure_ascii=False) + "\n")
    engine.dispose()
    return {"seconds": round(time.perf_counter() - started, 3), "baseline_rss_mb": round(base, 1)}


def child(args) -> int:
    work = Path(args.child_workdir)
    out = work / f"export-{args.child}.out"
    if args.child == "raw":
        result = export_raw(args.url, work, out)
    else:
        result = export_native(args.url, work, args.child, out)
    result["peak_rss_mb"] = round(common.peak_rss_mb(), 1)
    result["output_kb"] = round(out.stat().st_size / 1024)
    out.unlink()
    print(json.dumps(result))
    return 0


def measure(kind: str, url: str, work: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--url", url, "--child-workdir", str(work)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"{kind} export failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=2000)
    ap.add_argument("--claims", type=int, action="append", help="repeatable; default 20000 and 100000")
    ap.add_argument("--formats", default=",".join(FORMATS), help="comma-separated: " + ",".join(FORMATS))
    ap.add_argument("--database-url", help="PostgreSQL URL instead of SQLite (the database is WIPED)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--child-workdir", help=argparse.SUPPRESS)
    common.add_common_args(ap)
    args = ap.parse_args(argv)
    if args.child:
        return child(args)
    result = {"machine": common.machine(), "database": "postgresql" if args.database_url else "sqlite",
              "posts": args.posts, "runs": []}
    with common.workdir(args.workdir) as work:
        for claims in args.claims or [20000, 100000]:
            sub = work / f"claims-{claims}"
            sub.mkdir()
            url = prepare(sub, args.posts, claims, args.database_url)
            raw = measure("raw", url, sub)
            run = {"claims": claims, "raw_jsonl": raw}
            for fmt in [f for f in args.formats.split(",") if f]:
                got = measure(fmt, url, sub)
                got["claims_per_s"] = round(claims / got["seconds"])
                got["ratio_to_raw"] = round(got["seconds"] / raw["seconds"], 2)
                run[fmt] = got
            result["runs"].append(run)
    common.emit(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
