"""The stored full-text index (migration 0002): kept current by the database, survives the
table rebuilds of later revisions, and on PostgreSQL is used by the search queries."""
import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text

from workbench import create_app
from workbench.corpus.models import Post
from workbench.search.backends import FTS_TEXT

FTS5 = ("fts_post", "fts_comment", "fts_claim", "fts_source", "fts_discussion")


def sqlite_only(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite FTS5 index")


def integrity(conn):
    for name in FTS5:   # raises if the index disagrees with its table
        conn.execute(text(f"INSERT INTO {name} ({name}, rank) VALUES ('integrity-check', 1)"))


def test_every_table_has_its_triggers_at_head(db):
    sqlite_only(db)
    triggers = {r[0] for r in db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
    assert {f"{f}_{s}" for f in FTS5 for s in ("ai", "ad", "au")} <= triggers


def test_index_matches_tables_after_import_claims_and_edits(login, seeded, db):
    sqlite_only(db)
    c = login("reviewer")
    post = db.session.scalar(select(Post).order_by(Post.id))
    start = post.body.index(post.body.split()[0])
    exact = post.body[start:start + 20]
    resp = c.post("/api/v1/claims", json={"post_id": post.id, "comment_id": None, "start": start,
                                          "end": start + len(exact), "exact": exact,
                                          "statement": "Wombats ran probation", "category": "reoffending"})
    assert resp.status_code == 201
    claim = resp.get_json()
    assert c.patch(f"/api/v1/claims/{claim['id']}", json={"version": 1, "statement": "Numbats"}).status_code == 200
    db.session.commit()
    assert db.session.execute(text("SELECT count(*) FROM fts_post")).scalar() == \
        db.session.execute(text("SELECT count(*) FROM post")).scalar()
    integrity(db.session.connection())
    assert db.session.execute(text("SELECT rowid FROM fts_claim WHERE fts_claim MATCH 'numbat'")).scalars().all() \
        == [claim["id"]]
    assert db.session.execute(text("SELECT count(*) FROM fts_claim WHERE fts_claim MATCH 'wombat'")).scalar() == 0
    # Nothing is left paused by the import.
    assert db.session.execute(text("SELECT count(*) FROM search_index_paused")).scalar() == 0


def test_upgrade_indexes_existing_rows_and_keeps_triggers_through_0004(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        upgrade(revision="0001")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO user (id, username, display_name, password_hash, role, active, created_at) "
                              "VALUES (1, 'u', '', 'x', 'reviewer', 1, '2020-01-01')"))
            conn.execute(text("INSERT INTO post (id, slug, date, title, body, comment_count, source_name, content_hash, "
                              "imported_at) VALUES (1, 's', '2020-01-01', 'Quokka', 'reoffending body', 0, '', 'h', "
                              "'2020-01-01')"))
        upgrade()
        with engine.begin() as conn:
            assert conn.execute(text("SELECT rowid FROM fts_post WHERE fts_post MATCH 'reoffend'")).scalar() == 1
            conn.execute(text("INSERT INTO claim (id, uid, post_id, statement, category_id, created_by_id, created_at, "
                              "updated_at, version) VALUES (7, 'a', 1, 'bandicoot', 1, 1, '2020-01-01', "
                              "'2020-01-01', 1)"))
            # claim was rebuilt by 0004: its trigger must still be there
            assert conn.execute(text("SELECT rowid FROM fts_claim WHERE fts_claim MATCH 'bandicoot'")).scalar() == 7
            integrity(conn)
        engine.dispose()
        from workbench.extensions import db
        db.engine.dispose()


def test_postgresql_queries_use_the_gin_indexes(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL GIN indexes")
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    for kind, (table, expr) in FTS_TEXT.items():
        plan = "\n".join(r[0] for r in db.session.execute(text(
            f"EXPLAIN SELECT id FROM {table} WHERE search_tsv @@ phraseto_tsquery('english', 'x')")))
        index = "ix_discussion_post_fts" if kind == "discussion" else f"ix_{table}_fts"
        assert index in plan, plan
    db.session.rollback()


def test_rank_window_counts_after_the_date_range(login, seeded, db, monkeypatch):
    """Common words are ranked over the newest RANK_WINDOW matches per kind; a date range is
    applied first, so an old range still finds its posts and comments."""
    from workbench.search import services
    c = login("reviewer")
    full = c.get("/api/v1/search?q=probation&kind=post,comment&per_page=100").get_json()
    monkeypatch.setattr(services, "RANK_WINDOW", 2)
    small = c.get("/api/v1/search?q=probation&kind=post,comment&per_page=100").get_json()
    assert small["total"] == 4 < full["total"]
    oldest = min(i["date"] for i in full["items"])
    old = c.get(f"/api/v1/search?q=probation&kind=post,comment&date_to={oldest}").get_json()
    assert old["total"] >= 1 and all(i["date"] <= oldest for i in old["items"])


def _dump(title: str, body: str, comments: list[str], day: int = 1) -> str:
    lines = [f"Monday {day} October 2018", "", title, "", body, "", f"{len(comments)} comments:", ""]
    for i, text_ in enumerate(comments, 1):
        lines += [f"  {i}. {text_}", "", "    ReplyDelete", ""]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("probe", [1, 3, 7, 10_000])
def test_window_is_the_newest_matches_whatever_the_steps(db, import_dumps, monkeypatch, probe):
    """The window holds exactly the `window` newest matches of each kind (highest ids), however
    the backend walks to them (PostgreSQL in steps over id ranges, the probe size forced here to
    reach every step), ranked as when every match is ranked."""
    from workbench.search import backends
    from workbench.search.query import parse
    monkeypatch.setattr(backends.PostgresBackend, "PROBE", probe)
    comments = [f"comment {i} " + ("the chief inspector said" if i % 3 == 0 else "nothing to see") for i in range(40)]
    import_dumps({f"p{n}.txt": _dump(f"Post {n}", f"Body {n} mentions the chief inspector.", comments, n + 1)
                  for n in range(3)})
    engine = backends.backend()
    for q in ('"chief inspector"', "chief", "nothing", "inspector said", "nothing see"):
        everything = engine.match(parse(q), ("post", "comment"), window=None)
        for window in (1, 5, 14, 500):
            got = engine.match(parse(q), ("post", "comment"), window=window)
            for kind in ("post", "comment"):
                ids = sorted((h.id for h in everything if h.kind == kind), reverse=True)[:window]
                assert sorted((h.id for h in got if h.kind == kind), reverse=True) == ids, (q, window, kind)
            ranks = {(h.kind, h.id): h.rank for h in everything}
            assert all(abs(ranks[(h.kind, h.id)] - h.rank) < 1e-9 for h in got)


def test_long_text_snippets_mark_the_match_not_the_first_lookalike(login, import_dumps):
    """PostgreSQL cuts long texts around the first place the query appears as typed (else the
    start of its longest word) before ts_headline; where that place holds no match (inspector
    for inspection), the whole text is used. Both databases: the snippet marks a match and
    escapes the text."""
    filler = " ".join(["<b>padding</b> words about other things"] * 60)
    body = (f"The inspector came. Failings were many. {filler} The prison was inspected and the "
            f"board found failings. {filler}")
    import_dumps({"long.txt": _dump("Long post", body, ["An inspection & a <i>report</i>."])})
    c = login("reviewer")
    items = c.get("/api/v1/search?q=inspection").get_json()["items"]
    assert {i["kind"] for i in items} == {"post", "comment"}
    for item in items:   # (ts_headline drops tags, snippet() escapes them: never raw)
        assert "<b>" not in item["snippet"] and "<i>" not in item["snippet"], item["snippet"]
    post = next(i for i in items if i["kind"] == "post")
    assert "<mark>inspected</mark>" in post["snippet"], post["snippet"]
    comment = next(i for i in items if i["kind"] == "comment")
    assert "<mark>inspection</mark>" in comment["snippet"], comment["snippet"]
    phrase = c.get('/api/v1/search?q="found failings"&kind=post').get_json()["items"]
    assert len(phrase) == 1 and "<mark>found" in phrase[0]["snippet"], phrase[0]["snippet"]


@pytest.mark.parametrize("wide", [0.0, 2.0])
def test_date_range_gives_the_same_hits_row_by_row_or_as_a_list(login, seeded, monkeypatch, wide):
    """SQLite tests the date range of comments row by row when the range is wide, as an id list
    when narrow (backends.WIDE_DATES): the same hits either way, and the window still counts
    after the range."""
    from workbench.search import backends, services
    c = login("reviewer")
    monkeypatch.setattr(backends, "WIDE_DATES", wide)
    everything = c.get("/api/v1/search?q=probation&kind=comment&per_page=100").get_json()["items"]
    dates = sorted({i["date"] for i in everything})
    lo, hi = dates[1], dates[-2]
    want = sorted(i["id"] for i in everything if lo <= i["date"] <= hi)
    got = c.get(f"/api/v1/search?q=probation&kind=comment&per_page=100&date_from={lo}&date_to={hi}").get_json()
    assert sorted(i["id"] for i in got["items"]) == want and want
    monkeypatch.setattr(services, "RANK_WINDOW", 3)
    small = c.get(f"/api/v1/search?q=probation&kind=comment&date_from={lo}&date_to={hi}").get_json()
    newest = sorted(want, reverse=True)[:3]
    assert small["total"] == 3 and sorted((i["id"] for i in small["items"]), reverse=True) == newest
