"""A large import parses in a worker process and numbers SQLite rows itself (issue 9, import
speed): the stored posts, threads and search index must be exactly what the parser read, in
both modes, and a bad file is still reported with its line."""
import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from workbench.corpus import reading, services
from workbench.corpus.models import Comment, Post
from workbench.corpus.parser import parse_bytes

BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.fixture
def corpus(tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        import generate_corpus
    finally:
        sys.path.remove(str(BENCH))

    def make(n, folder="corpus", seed=3):
        out = tmp_path / folder
        generate_corpus.generate(n, out, seed=seed)
        return sorted(out.rglob("*.txt"))
    return make


def stored(db):
    """Every post and comment as the reader sees them: thread structure by path, not by id."""
    posts = {p.id: p for p in db.session.scalars(select(Post))}
    comments = db.session.scalars(select(Comment).order_by(Comment.post_id, Comment.position)).all()
    paths = {c.id: c.path for c in comments}
    return ({p.slug: (p.date, p.title, p.body, p.comment_count, p.content_hash) for p in posts.values()},
            [(posts[c.post_id].slug, c.path, paths.get(c.parent_id), c.position, c.depth, c.text) for c in comments])


def expected(files):
    posts, comments = {}, []
    for f in files:
        p = parse_bytes(f.read_bytes(), str(f))
        posts[p.slug] = (p.date, p.title, p.body, len(p.comments), p.content_hash)
        comments += [(p.slug, c.path, c.parent_path, pos, c.depth, c.text) for pos, c in enumerate(p.comments)]
    return posts, sorted(comments, key=lambda r: (list(posts).index(r[0]), r[3]))


def fts_check(db):
    if db.engine.dialect.name == "sqlite":
        for fts in ("fts_post", "fts_comment"):   # raises if the index disagrees with its table
            db.session.execute(text(f"INSERT INTO {fts} ({fts}, rank) VALUES ('integrity-check', 1)"))
        assert db.session.execute(text("SELECT count(*) FROM fts_comment")).scalar() == \
            db.session.scalar(select(func.count(Comment.id)))
        assert db.session.execute(text("SELECT count(*) FROM search_index_paused")).scalar() == 0


@pytest.mark.parametrize("parallel", [True, False])
def test_every_post_and_reply_is_stored_as_parsed(db, corpus, monkeypatch, parallel):
    files = corpus(14)
    monkeypatch.setattr(services, "BATCH_FILES", 4)      # four batches: the worker parses three
    report = services.import_paths(files, parallel=parallel)
    db.session.commit()
    assert report.count("imported") == 14 and not report.failed
    assert [r.filename for r in report.results] == [str(f) for f in files]
    posts, comments = stored(db)
    want_posts, want_comments = expected(files)
    assert posts == want_posts
    assert sorted(comments, key=lambda r: (list(want_posts).index(r[0]), r[3])) == want_comments
    fts_check(db)


def test_ids_continue_after_earlier_imports_and_reruns_are_unchanged(db, corpus, monkeypatch):
    files = corpus(12)
    monkeypatch.setattr(services, "BATCH_FILES", 3)
    services.import_paths(files[:5], parallel=True)
    db.session.commit()
    report = services.import_paths(files, parallel=True)   # 5 stored already, 7 new
    db.session.commit()
    assert (report.count("unchanged"), report.count("imported")) == (5, 7)
    posts, comments = stored(db)
    want_posts, want_comments = expected(files)
    assert posts == want_posts
    assert sorted(comments, key=lambda r: (list(want_posts).index(r[0]), r[3])) == want_comments
    # Replies point at their parent comment in the same post.
    pairs = db.session.execute(select(Comment.post_id, Comment.path, Comment.parent_id)
                               .where(Comment.parent_id.is_not(None))).all()
    parents = {c.id: (c.post_id, c.path) for c in db.session.scalars(select(Comment))}
    assert pairs and all(parents[p] == (post, path.split(".")[0]) for post, path, p in pairs)
    fts_check(db)
    if db.engine.dialect.name == "sqlite":
        last = db.session.scalar(select(Comment).order_by(Comment.id.desc()).limit(1))
        word = max(last.text.split(), key=len).strip(".,;:!?\"'()“”‘’")
        hits = db.session.execute(text("SELECT rowid FROM fts_comment WHERE fts_comment MATCH :q"),
                                  {"q": f'"{word}"'}).scalars().all()
        assert last.id in hits


def test_a_bad_file_parsed_by_the_worker_is_reported_with_its_line(db, corpus, monkeypatch):
    files = corpus(10)
    monkeypatch.setattr(services, "BATCH_FILES", 3)
    bad = next(f for f in files[6:] if re.search(r"^[1-9]\d* comments?:", f.read_text("utf-8"), re.M))
    lines = bad.read_text("utf-8").split("\n")     # a file with comments, parsed by the worker
    header = next(i for i, line in enumerate(lines) if re.match(r"[1-9]\d* comments?:", line))
    lines.insert(header + 1, "  this line is not part of any comment")
    bad.write_text("\n".join(lines), "utf-8")
    report = services.import_paths(files, parallel=True)
    db.session.commit()
    result = next(r for r in report.results if r.filename == str(bad))
    assert result.status == "error" and result.message.startswith(f"line {header + 2}:"), result.message
    assert report.count("imported") == 9
    assert bad.name not in {p.source_name for p in db.session.scalars(select(Post))}
    fts_check(db)


def test_a_failed_import_rolls_back_rows_index_and_pause(db, corpus, monkeypatch):
    files = corpus(9)
    monkeypatch.setattr(services, "BATCH_FILES", 3)
    calls = []

    def failing(batch, *args):
        calls.append(len(batch))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(batch, *args)
    original = services._write_batch
    monkeypatch.setattr(services, "_write_batch", failing)
    with pytest.raises(RuntimeError):
        services.import_paths(files, parallel=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Post.id))) == 0
    assert db.session.scalar(select(func.count(Comment.id))) == 0
    fts_check(db)


def test_the_worker_decides_by_size(monkeypatch, tmp_path):
    """parallel=None: a worker only for large imports; the answer is the same either way."""
    seen = []
    monkeypatch.setattr(reading, "_Worker", lambda: seen.append(1) or (_ for _ in ()).throw(AssertionError))
    files = [tmp_path / f"{i}.txt" for i in range(5)]
    out = list(reading.read_batches(files, 2))
    assert not seen and [len(b) for b in out] == [2, 2, 1]
    assert all(msg.startswith("cannot read") for batch in out for _, parsed, msg in batch)


def test_a_large_import_refreshes_postgresql_statistics(db, corpus, monkeypatch):
    """Search plans need statistics: a large import gathers them in its own transaction."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL planner statistics")
    files = corpus(6)
    monkeypatch.setattr(services, "ANALYZE_AFTER", 1)
    report = services.import_paths(files)
    db.session.commit()
    analyzed = db.session.execute(text(
        "SELECT reltuples FROM pg_class WHERE relname = 'comment'")).scalar()
    assert analyzed == report.comments_imported


def test_the_import_gives_its_connection_back_with_the_page_cache_it_had(db, corpus):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite page cache")
    conn = db.session.connection()
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    services.import_paths(corpus(2))
    assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == before


def test_a_failed_import_still_restores_the_page_cache(db, corpus, monkeypatch):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite page cache")
    conn = db.session.connection()
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    monkeypatch.setattr(services, "_write_batch", lambda batch, *args: (_ for _ in ()).throw(RuntimeError("disk full")))
    with pytest.raises(RuntimeError):
        services.import_paths(corpus(2))
    assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == before
    db.session.rollback()
