"""Importing dump files into the database: idempotent, all-or-nothing, threads intact."""
from sqlalchemy import func, select

from tests.conftest import SEEDS
from workbench.corpus.models import Comment, Post
from workbench.corpus.services import import_paths
from tests.unit.corpus.test_parser import SAMPLE


def counts(db):
    return (db.session.scalar(select(func.count(Post.id))), db.session.scalar(select(func.count(Comment.id))))


def test_seeds_import_with_threads(db, seeded):
    assert seeded.count("imported") == 5
    posts = {p.title: p for p in db.session.scalars(select(Post))}
    expected = {"Institute Offers TR Advice": 23, "End of an Era": 11, "The Morning After": 31,
                "Third Sector Lobbying Hard": 6, "TR2 Will Also Be a Disaster": 7}
    assert {t: p.comment_count for t, p in posts.items()} == expected
    post = posts["Institute Offers TR Advice"]
    by_path = {c.path: c for c in db.session.scalars(select(Comment).where(Comment.post_id == post.id))}
    assert len(by_path) == 23
    for path, c in by_path.items():
        if "." in path:
            assert c.parent_id == by_path[path.split(".")[0]].id and c.depth == 1
        else:
            assert c.parent_id is None and c.depth == 0
    ordered = db.session.scalars(select(Comment.path).where(Comment.post_id == post.id)
                                 .order_by(Comment.position)).all()
    assert ordered[:5] == ["1", "1.1", "2", "2.1", "3"]


def test_reimport_changes_nothing_even_with_crlf_and_bom(db, seeded, tmp_path):
    before = counts(db)
    again = import_paths([SEEDS])
    assert again.count("unchanged") == 5 and again.comments_imported == 0
    src = next(SEEDS.glob("002_*.txt"))
    variant = tmp_path / "variant.txt"
    variant.write_bytes(b"\xef\xbb\xbf" + src.read_bytes().replace(b"\n", b"\r\n"))
    third = import_paths([variant])
    db.session.commit()
    assert third.results[0].status == "unchanged"
    assert counts(db) == before


def test_changed_file_is_reported_not_duplicated(db, seeded, tmp_path):
    src = next(SEEDS.glob("003_*.txt"))
    changed = tmp_path / "changed.txt"
    changed.write_text(src.read_text("utf-8").replace("Third sector", "Third  sector", 1)
                       .replace("the", "THE", 1), "utf-8")
    before = counts(db)
    report = import_paths([changed])
    db.session.commit()
    assert report.results[0].status == "changed"
    assert "differs from the stored post" in report.results[0].message
    assert report.failed and counts(db) == before


def test_recrawled_file_with_more_comments_extends_the_thread(db, tmp_path):
    first = tmp_path / "a.txt"
    first.write_text(SAMPLE, "utf-8")
    import_paths([first])
    db.session.commit()
    longer = SAMPLE.replace("2 comments:", "4 comments:") + (
        "    2. A second reply\n\n      Delete\n  2. Another top comment\n\n    ReplyDelete\n")
    second = tmp_path / "b.txt"
    second.write_text(longer, "utf-8")
    report = import_paths([second])
    db.session.commit()
    assert report.results[0].status == "extended" and report.results[0].comments == 2
    rows = db.session.execute(select(Comment.path, Comment.parent_id, Comment.id)
                              .order_by(Comment.position)).all()
    assert [r.path for r in rows] == ["1", "1.1", "1.2", "2"]
    assert rows[2].parent_id == rows[0].id


def test_malformed_file_keeps_nothing_and_others_import(db, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(SAMPLE, "utf-8")
    (tmp_path / "bad.txt").write_bytes(b"Monday 22 October 2018\n\n")
    (tmp_path / "latin1.txt").write_bytes("Monday 22 October 2018\n\nCaf\xe9\n".encode("latin-1"))
    report = import_paths([tmp_path])
    db.session.commit()
    status = {r.filename.rsplit("/", 1)[-1]: (r.status, r.message) for r in report.results}
    assert status["good.txt"][0] == "imported"
    assert status["bad.txt"] == ("error", "line 2: no title after the date line")
    assert status["latin1.txt"][0] == "error" and "line 3: not UTF-8" in status["latin1.txt"][1]
    assert counts(db) == (1, 2)


def test_same_post_twice_in_one_import_is_stored_once(db, tmp_path):
    (tmp_path / "a.txt").write_text(SAMPLE, "utf-8")
    (tmp_path / "b.txt").write_text(SAMPLE.replace("\n", "\r\n"), "utf-8")
    report = import_paths([tmp_path])
    db.session.commit()
    assert [r.status for r in report.results] == ["imported", "unchanged"]
    assert counts(db) == (1, 2)

def test_recrawled_file_that_adds_only_replies_stores_them(db, tmp_path):
    """A re-crawl whose only new comments are replies (nothing new at the top level) stores
    them under their parents, searchable, and the count says what is there."""
    from sqlalchemy import text
    first = tmp_path / "a.txt"
    first.write_text(SAMPLE, "utf-8")
    import_paths([first])
    db.session.commit()
    longer = SAMPLE.replace("2 comments:", "3 comments:") + "    2. A reply about quokkas\n\n      Delete\n"
    second = tmp_path / "b.txt"
    second.write_text(longer, "utf-8")
    report = import_paths([second])
    db.session.commit()
    assert report.results[0].status == "extended" and report.results[0].comments == 1
    rows = db.session.execute(select(Comment.path, Comment.parent_id, Comment.id, Comment.text)
                              .order_by(Comment.position)).all()
    assert [r.path for r in rows] == ["1", "1.1", "1.2"]
    assert rows[2].parent_id == rows[0].id and rows[2].text == "A reply about quokkas"
    assert db.session.scalar(select(Post.comment_count)) == 3
    found = "SELECT rowid FROM fts_comment WHERE fts_comment MATCH 'quokkas'" \
        if db.engine.dialect.name == "sqlite" else \
        "SELECT id FROM comment WHERE search_tsv @@ plainto_tsquery('english', 'quokkas')"
    assert db.session.scalars(text(found)).all() == [rows[2].id]
