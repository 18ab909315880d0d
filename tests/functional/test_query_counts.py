"""SQL statements per request do not grow with comments, claims or posts: the post index, the
post page (which embeds the claims payload) and the claims API. Counts, never timings."""
import pytest
from sqlalchemy import select

from workbench.annotations import schemas, services
from workbench.corpus.models import Comment, Post
from workbench.corpus.services import import_paths


def dump(title: str, comments: int, day: int = 4) -> str:
    """A post in the dump format with `comments` comments, every third one with two replies."""
    lines = [f"Monday {day} March 2019", "", title, "", "The CRCs were forecasting losses of £300 million.", ""]
    tops, left = [], comments
    while left > 0:
        replies = min(2 if len(tops) % 3 == 0 else 0, left - 1)
        tops.append(replies)
        left -= 1 + replies
    lines += [f"{comments} comments:", ""]
    for n, replies in enumerate(tops, 1):
        lines += [f"  {n}. Comment {n} says 19 of 21 companies missed their targets.", "", "    ReplyDelete"]
        if replies:
            lines.append("    Replies")
            for r in range(1, replies + 1):
                lines += [f"    {r}. Reply {n}.{r} says caseloads rose by 40 per cent.", "", "      Delete"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def posts(db, tmp_path):
    """A small post (4 comments) and a large one (150 comments), plus 20 more posts for the index."""
    (tmp_path / "small.txt").write_text(dump("Small thread", 4), "utf-8")
    (tmp_path / "large.txt").write_text(dump("Large thread", 150, day=11), "utf-8")
    for i in range(20):
        (tmp_path / f"more{i:02d}.txt").write_text(dump(f"Another post {i}", 2, day=18), "utf-8")
    report = import_paths([tmp_path])
    db.session.commit()
    assert not report.failed
    small = db.session.scalar(select(Post).where(Post.title == "Small thread"))
    large = db.session.scalar(select(Post).where(Post.title == "Large thread"))
    return small, large


def add_claims(db, users, post, n: int) -> list[int]:
    """n claims on the post's comments, each with a source and a verdict from every user."""
    comments = db.session.scalars(select(Comment).where(Comment.post_id == post.id).order_by(Comment.position)).all()
    ids = []
    for i in range(n):
        c = comments[i % len(comments)]
        exact = "19 of 21 companies" if "companies" in c.text else "40 per cent"
        start = c.text.index(exact)
        claim = services.create_claim(users[0], {
            "post_id": post.id, "comment_id": c.id, "start": start, "end": start + len(exact), "exact": exact,
            "statement": f"Claim {i}", "category": "reoffending",
            "sources": [{"url": f"https://example.org/{i}", "stance": "supports"}],
            "verdict": {"rating": "mostly_true"}})
        for other in users[1:]:
            services.set_verdict(other, claim, schemas.parse_verdict({"rating": "false" if i % 4 else "mostly_true"}))
        ids.append(claim.id)
    db.session.commit()
    return ids


@pytest.fixture
def reviewers(make_user):
    return [make_user("reviewer") for _ in range(3)]


def count(query_counter, client, path: str) -> int:
    with query_counter() as box:
        resp = client.get(path)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return box["n"]


def test_post_page_queries_do_not_grow_with_comments_or_claims(db, posts, reviewers, login, query_counter):
    small, large = posts
    add_claims(db, reviewers, small, 1)
    add_claims(db, reviewers, large, 60)
    client = login("reviewer")
    client.get(f"/posts/{small.id}")                 # warm-up: first-request work is not per page
    n_small = count(query_counter, client, f"/posts/{small.id}")
    n_large = count(query_counter, client, f"/posts/{large.id}")
    assert n_small == n_large, (n_small, n_large)
    assert 0 < n_large <= 20


def test_post_page_without_claims_stays_small(db, posts, login, query_counter):
    small, large = posts
    client = login("reviewer")
    client.get(f"/posts/{small.id}")
    assert count(query_counter, client, f"/posts/{small.id}") == count(query_counter, client, f"/posts/{large.id}")


def test_post_index_queries_do_not_grow_with_posts(db, posts, tmp_path, login, query_counter):
    client = login("reviewer")
    client.get("/")
    n_before = count(query_counter, client, "/")
    for i in range(30):
        (tmp_path / f"later{i:02d}.txt").write_text(dump(f"Later post {i}", 3, day=25), "utf-8")
    import_paths([tmp_path])
    db.session.commit()
    assert count(query_counter, client, "/") == n_before
    assert count(query_counter, client, "/?page=2") == n_before
    assert count(query_counter, client, "/api/v1/posts") == count(query_counter, client, "/api/v1/posts?page=2")


def test_claims_api_queries_do_not_grow_with_claims(db, posts, reviewers, login, query_counter):
    small, large = posts
    few = add_claims(db, reviewers, small, 1)
    many = add_claims(db, reviewers, large, 40)
    client = login("reviewer")
    client.get(f"/api/v1/posts/{small.id}/claims")
    assert count(query_counter, client, f"/api/v1/posts/{small.id}/claims") == \
        count(query_counter, client, f"/api/v1/posts/{large.id}/claims")
    assert count(query_counter, client, f"/api/v1/claims/{few[0]}") == \
        count(query_counter, client, f"/api/v1/claims/{many[-1]}")


def test_creating_a_claim_costs_the_same_on_a_busy_post(db, posts, reviewers, login, query_counter):
    small, large = posts
    add_claims(db, reviewers, large, 40)
    client = login("reviewer")

    def create(post):
        c = db.session.scalars(select(Comment).where(Comment.post_id == post.id).order_by(Comment.position)).first()
        start = c.text.index("19 of 21")
        body = {"post_id": post.id, "comment_id": c.id, "start": start, "end": start + 8, "exact": "19 of 21",
                "statement": "A new claim", "category": "reoffending",
                "sources": [{"url": "https://example.org/new"}], "verdict": {"rating": "false"}}
        with query_counter() as box:
            resp = client.post("/api/v1/claims", json=body)
        assert resp.status_code == 201, resp.get_json()
        return box["n"]
    create(small)                                    # warm-up
    assert create(small) == create(large)


def test_creating_a_claim_is_a_fixed_small_number_of_statements(db, posts, reviewers, login, query_counter):
    """POST /api/v1/claims answers from what it wrote: the session user, the category with the
    text unit, one INSERT per row (claim, span, source, verdict) and one executemany for the audit
    events; nothing is read back. It was 22 statements (plus two BEGINs) before the fast path."""
    small, large = posts
    add_claims(db, reviewers, large, 40)
    client = login("reviewer")

    def create(post, **extra):
        c = db.session.scalars(select(Comment).where(Comment.post_id == post.id).order_by(Comment.position)).first()
        start = c.text.index("19 of 21")
        body = {"post_id": post.id, "comment_id": c.id, "start": start, "end": start + 8, "exact": "19 of 21",
                "statement": "A new claim", "category": "reoffending", **extra}
        with query_counter() as box:
            resp = client.post("/api/v1/claims", json=body)
        assert resp.status_code == 201, resp.get_json()
        return [s for s in box["sql"] if not s.startswith("BEGIN")]

    full = {"sources": [{"url": "https://example.org/new"}], "verdict": {"rating": "false"}}
    create(small, **full)                            # warm-up
    sql = create(large, **full)
    assert len(sql) == 7, sql
    assert len(create(small, **full)) == 7
    assert [s.split()[0] for s in sql] == ["SELECT"] * 2 + ["INSERT"] * 5
    assert sum(s.startswith("INSERT INTO audit_event") for s in sql) == 1   # four events, one executemany
    # without a verdict, blind review needs the setting: one more SELECT; each extra source one INSERT
    assert len(create(large)) == 6
    assert len(create(large, sources=[{"url": "https://a.org/"}, {"url": "https://b.org/"}])) == 8


def test_post_page_queries_do_not_grow_with_flags_adjudications_or_viewers(db, posts, reviewers, make_user, login,
                                                                           query_counter):
    """The reading page's own claims payload (issue 9): the same statements for a post with one
    claim and one with 60 that are flagged, adjudicated and carry retracted sources, for a
    reviewer under blind review and for a lead."""
    from workbench.annotations.models import Claim, Source
    from workbench.review import services as review
    small, large = posts
    add_claims(db, reviewers, small, 1)
    many = add_claims(db, reviewers, large, 60)
    lead = make_user("lead")
    flagger = make_user("reviewer")
    for i, cid in enumerate(many[:20]):
        claim = db.session.get(Claim, cid)
        if i % 2:
            review.flag_claim(flagger, claim, "Check the figure.")
        else:
            review.adjudicate(lead, claim, "false", "The report says otherwise.")
    for source in db.session.scalars(select(Source).where(Source.claim_id.in_(many[20:30]))):
        services.set_source_retracted(reviewers[0], source, True)
    db.session.commit()
    for client in (login("reviewer"), login(user=lead)):
        client.get(f"/posts/{small.id}")
        assert count(query_counter, client, f"/posts/{small.id}") == count(query_counter, client, f"/posts/{large.id}")


def _statements(query_counter, call):
    """The SQL statements one request sends, quotes removed; BEGIN, and PostgreSQL's SET
    TRANSACTION of a read request (workbench/db.py), are not counted."""
    with query_counter() as box:
        resp = call()
    assert resp.status_code in (200, 201), resp.get_data(as_text=True)[:500]
    return [s.replace('"', "") for s in box["sql"] if not s.startswith(("BEGIN", "SET "))]


def test_claims_list_is_a_fixed_number_of_statements(db, posts, reviewers, make_user, login, query_counter):
    """GET /posts/<id>/claims: the log-in, the claims, then one query per related table (spans,
    sources, verdicts, flags, adjudications), the people named, and the blind-review setting when
    some claim's answer depends on it; the same for 1 claim and 40. It was 11 (plus BEGIN)."""
    small, large = posts
    add_claims(db, reviewers, small, 1)
    add_claims(db, reviewers, large, 40)
    lead = make_user("lead")
    for client, expected in ((login("reviewer"), 9), (login(user=lead), 8), (login(user=reviewers[0]), 8)):
        small_url, large_url = f"/api/v1/posts/{small.id}/claims", f"/api/v1/posts/{large.id}/claims"
        client.get(small_url)
        n_small = _statements(query_counter, lambda: client.get(small_url))
        n_large = _statements(query_counter, lambda: client.get(large_url))
        assert len(n_small) == len(n_large) == expected, (n_small, n_large)
        assert sum(s.startswith("SELECT") for s in n_large) == expected
        # a post without claims: the log-in, the (empty) claims, and whether the post exists
        empty = db.session.scalar(select(Post.id).where(Post.title == "Another post 0"))
        assert len(_statements(query_counter, lambda: client.get(f"/api/v1/posts/{empty}/claims"))) == 3


def test_claim_writes_answer_in_a_fixed_number_of_statements(db, posts, reviewers, make_user, login, query_counter):
    """PATCH, PUT verdict, retract and restore answer from the claim they hold: the log-in, the
    claim with its category, the write and its audit event, then one query per related table and
    the people named. The same on a post with 1 claim and on one with 40, and for a claim with
    one verdict or three. They were 14 to 15 statements (the claim was read twice, the category
    and the logged-in user once more after the commit)."""
    small, large = posts
    few = add_claims(db, [reviewers[0]], small, 2)          # one verdict each
    many = add_claims(db, reviewers, large, 40)              # three verdicts each
    lead = make_user("lead")
    client = login(user=lead)

    def writes(cid):
        claim = client.get(f"/api/v1/claims/{cid}").get_json()
        counts = {}
        counts["patch"] = _statements(query_counter, lambda: client.patch(
            f"/api/v1/claims/{cid}", json={"version": claim["version"], "statement": claim["statement"] + "!"}))
        counts["patch category"] = _statements(query_counter, lambda: client.patch(
            f"/api/v1/claims/{cid}", json={"version": claim["version"] + 1,
                                           "category": "other" if claim["category"] != "other" else "reoffending"}))
        counts["verdict"] = _statements(query_counter, lambda: client.put(
            f"/api/v1/claims/{cid}/verdict", json={"rating": "false"}))
        counts["verdict again"] = _statements(query_counter, lambda: client.put(
            f"/api/v1/claims/{cid}/verdict", json={"rating": "true"}))
        counts["retract"] = _statements(query_counter, lambda: client.post(
            f"/api/v1/claims/{cid}/retract", json={"reason": "r"}))
        counts["restore"] = _statements(query_counter, lambda: client.post(
            f"/api/v1/claims/{cid}/restore", json={"reason": "r"}))
        counts["get"] = _statements(query_counter, lambda: client.get(f"/api/v1/claims/{cid}"))
        return counts

    writes(few[1])                                           # warm-up
    on_small, on_large = writes(few[0]), writes(many[-1])
    assert {k: len(v) for k, v in on_small.items()} == {k: len(v) for k, v in on_large.items()}
    # log-in, claim + category, (category,) the write(s), audit, 5 related tables, people
    assert {k: len(v) for k, v in on_large.items()} == {
        "patch": 10, "patch category": 11, "verdict": 11, "verdict again": 12, "retract": 10, "restore": 10,
        "get": 8}, on_large
    for name, sql in on_large.items():
        assert sum(s.startswith("SELECT claim.") for s in sql) == 1, (name, sql)
