"""Posts stored before the content hash changed formula (a JSON document until November 2026,
length-prefixed parts since: workbench/corpus/parser.py content_hash) re-import as unchanged,
and take the new hash; a post that really changed is still reported as before."""
from sqlalchemy import func, select

from tests.conftest import SEEDS
from tests.unit.corpus import reference_parser as old_parser
from workbench.corpus.models import Comment, Post
from workbench.corpus.parser import parse_bytes
from workbench.corpus.services import import_paths


def store_old_hashes(db):
    """Give every stored post the hash the old formula gave its file, as an older import did."""
    old = {}
    for path in SEEDS.glob("*.txt"):
        parsed = old_parser.parse_bytes(path.read_bytes(), path.name)
        old[parsed.slug] = parsed.content_hash
    for post in db.session.scalars(select(Post)):
        post.content_hash = old[post.slug]
    db.session.commit()
    return old


def snapshot(db):
    return (db.session.execute(select(Post.slug, Post.title, Post.body, Post.comment_count,
                                      Post.declared_comment_count).order_by(Post.slug)).all(),
            db.session.execute(select(Comment.id, Comment.post_id, Comment.path, Comment.position, Comment.text)
                               .order_by(Comment.id)).all())


def test_posts_hashed_by_the_old_formula_reimport_as_unchanged(db, seeded):
    old = store_old_hashes(db)
    new = {p.slug: p.content_hash for p in (parse_bytes(f.read_bytes(), f.name) for f in SEEDS.glob("*.txt"))}
    assert all(old[slug] != new[slug] for slug in new)     # the formula did change
    before = snapshot(db)

    report = import_paths([SEEDS])
    db.session.commit()
    assert [(r.status, r.message, r.comments) for r in report.results] == \
        [("unchanged", "already imported; nothing changed", 0)] * 5
    assert snapshot(db) == before
    assert dict(db.session.execute(select(Post.slug, Post.content_hash)).all()) == new   # refreshed

    again = import_paths([SEEDS])    # now by the hash alone
    assert again.count("unchanged") == 5


def test_an_old_hash_does_not_hide_a_real_change(db, seeded, tmp_path):
    store_old_hashes(db)
    src = next(SEEDS.glob("000_*.txt"))
    more = tmp_path / "more.txt"
    raw = src.read_text("utf-8")
    # One more top-level comment after comment 9 (the last), declared in the count.
    more.write_text(raw.replace("23 comments:", "24 comments:").rstrip("\n") +
                    "\n  10. A late comment\n\n    ReplyDelete\n", "utf-8")
    changed = tmp_path / "changed.txt"
    changed.write_text(raw.replace("the", "THE", 1), "utf-8")
    comments_before = db.session.scalar(select(func.count(Comment.id)))

    report = import_paths([changed])
    db.session.commit()
    assert report.results[0].status == "changed"
    report = import_paths([more])
    db.session.commit()
    assert report.results[0].status == "extended" and report.results[0].comments == 1
    assert db.session.scalar(select(func.count(Comment.id))) == comments_before + 1
    post = db.session.scalar(select(Post).where(Post.title == "Institute Offers TR Advice"))
    assert post.content_hash == parse_bytes(more.read_bytes(), "more.txt").content_hash


def test_recognising_old_hashes_costs_the_same_statements_for_one_post_or_five(db, seeded, query_counter):
    files = sorted(SEEDS.glob("*.txt"))
    store_old_hashes(db)
    with query_counter() as one:
        assert import_paths(files[:1]).count("unchanged") == 1
    db.session.rollback()
    with query_counter() as five:
        assert import_paths(files).count("unchanged") == 5
    db.session.rollback()
    assert five["n"] == one["n"]
