"""Each benchmark in bench/ runs end to end at a tiny size, so the benchmark code cannot rot.
No timing is asserted: only that it runs, reports its figures, and sees no errors or lost writes.
They always use their own throwaway SQLite files, never the test database."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


def run(script: str, *args: str, timeout: int = 240) -> dict | str:
    out = subprocess.run([sys.executable, "-W", "error", str(BENCH / script), *args],
                         capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    last = out.stdout.strip().splitlines()[-1]
    return json.loads(last) if last.startswith("{") else last


@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("*.py") if p.name != "common.py"))
def test_every_benchmark_has_help(script):
    out = subprocess.run([sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    assert out.returncode == 0 and "usage:" in out.stdout, out.stderr


def test_generated_corpus_parses_and_is_deterministic(tmp_path):
    assert "30 posts" in run("generate_corpus.py", "--posts", "30", "--out", str(tmp_path / "a"), "--check")
    run("generate_corpus.py", "--posts", "30", "--out", str(tmp_path / "b"))
    a = sorted((tmp_path / "a").iterdir())
    assert len(a) == 30
    assert all(p.read_bytes() == (tmp_path / "b" / p.name).read_bytes() for p in a)


def test_generate_claims_both_modes(tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        import common
    finally:
        sys.path.remove(str(BENCH))
    url = common.fresh_database(None, tmp_path)
    from workbench.corpus.services import import_paths
    from workbench.extensions import db
    app = common.make_app(url, tmp_path)
    with app.app_context():
        import_paths([common.SEEDS])
        db.session.commit()
        db.engine.dispose()
    assert "created 20 claims" in run("generate_claims.py", "--database-url", url, "--claims", "20")
    assert "created 50 claims" in run("generate_claims.py", "--database-url", url, "--claims", "50", "--mode", "bulk")
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM claim")).scalar() == 70
        assert conn.execute(text("SELECT count(*) FROM verdict")).scalar() == 70 * 3
    engine.dispose()


def test_import_bench(tmp_path):
    result = run("import_bench.py", "--posts", "8", "--posts", "15", "--json")
    assert [r["posts"] for r in result["runs"]] == [8, 15]
    for r in result["runs"]:   # each size on a fresh database: everything imported, nothing skipped
        assert r["importer"]["comments"] == r["raw"]["comments"] == r["floor"]["comments"] == r["comments"] > 0
        assert r["importer"]["posts"] == r["raw"]["posts"] == r["floor"]["posts"] == r["posts"]
        assert r["ratio_importer_to_floor"] > 0
        assert r["ratio_importer_to_raw"] > 0 and r["importer"]["peak_rss_mb"] > 0


def test_claim_api_bench():
    result = run("claim_api_bench.py", "--claims", "5", "--warmup", "1", "--posts", "3", "--json")
    assert result["errors"] == 0 and result["claims"] == 5 and result["median_ms"] > 0


def test_post_page_bench():
    result = run("post_page_bench.py", "--comments", "12", "--claims", "8", "--requests", "2", "--json")
    assert result["big_post"]["sql_statements"] > 0 and result["small_post"]["n"] == 2


@pytest.mark.multiprocess
def test_load_bench():
    result = run("load_bench.py", "--users", "2", "--duration", "2", "--posts", "4", "--json")
    assert result["errors"] == 0 and result["requests"] > 0
    assert result["lost_claims"] == 0 and result["lost_verdicts"] == 0


def test_export_bench():
    result = run("export_bench.py", "--posts", "6", "--claims", "30", "--json")
    (r,) = result["runs"]
    assert {"raw_jsonl", "jsonl", "w3c", "claimreview", "csv"} <= set(r)


def test_search_bench():
    result = run("search_bench.py", "--posts", "6", "--rounds", "1", "--json")
    if isinstance(result, str):
        pytest.skip(result)
    assert result["single_word"]["n"] > 0
