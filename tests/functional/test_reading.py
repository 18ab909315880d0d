"""The post index, the reading page and the read API."""
import re
from datetime import date

from sqlalchemy import select

from workbench.corpus.models import Comment, Post
from workbench.corpus.services import import_paths


def post_id(db, title):
    return db.session.scalar(select(Post.id).where(Post.title == title))


def test_index_newest_first_with_counts(login, seeded):
    html = login().get("/").get_data(as_text=True)
    titles = re.findall(r'<a href="/posts/\d+">([^<]+)</a>', html)
    assert titles == ["End of an Era", "TR2 Will Also Be a Disaster", "Institute Offers TR Advice",
                      "Third Sector Lobbying Hard", "The Morning After"]
    assert '<td class="num">31</td>' in html


def test_index_shows_claims_and_review_status(login, seeded, db):
    c = login()
    pid = post_id(db, "End of an Era")
    body = db.session.scalar(select(Post.body).where(Post.id == pid))
    for exact in (body[:10], body[20:30]):
        start = body.index(exact)
        c.post("/api/v1/claims", json={"post_id": pid, "comment_id": None, "start": start, "end": start + len(exact),
                                       "exact": exact, "statement": exact, "category": "other",
                                       "verdict": {"rating": "true"}})
    other = login()
    cid = c.get(f"/api/v1/posts/{pid}/claims").get_json()["items"][0]["id"]
    other.put(f"/api/v1/claims/{cid}/verdict", json={"rating": "false"})
    html = c.get("/").get_data(as_text=True)
    assert "2 claims" in html and "1 disputed" in html and "1 agreed" in html
    # A third reviewer under blind review sees that there are claims, not how others voted.
    blind = login().get("/").get_data(as_text=True)
    assert "2 claims" in blind and "disputed" not in blind and "2 awaiting your verdict" in blind


def test_index_filters_and_pages(login, seeded, app):
    c = login()
    html = c.get("/?year=2019").get_data(as_text=True)
    assert re.findall(r'<a href="/posts/\d+">([^<]+)</a>', html) == ["TR2 Will Also Be a Disaster",
                                                                    "Institute Offers TR Advice"]
    html = c.get("/?q=tr").get_data(as_text=True)
    assert "2 posts match" in html
    html = c.get("/?q=100%25").get_data(as_text=True)
    assert "0 posts match" in html
    app.config["POSTS_PER_PAGE"] = 2
    html = c.get("/?page=3").get_data(as_text=True)
    assert "Page 3 of 3" in html and re.findall(r'<a href="/posts/\d+">([^<]+)</a>', html) == ["The Morning After"]


def test_post_page_threads_and_anchors(login, seeded, db):
    pid = post_id(db, "Institute Offers TR Advice")
    html = login().get(f"/posts/{pid}").get_data(as_text=True)
    assert 'id="c7"' in html and 'id="c4-8"' in html and 'href="#c4-8"' in html
    # Reply 4.1 sits inside comment 4's list of replies.
    c4 = html.index('id="c4"')
    assert c4 < html.index('id="c4-1"') < html.index('id="c5"')
    assert html.count('class="comment depth-1"') == 14


def test_text_is_shown_exactly_and_escaped(login, db, tmp_path):
    hostile = ("Monday 22 October 2018\n\n<script>alert('t')</script> title\n\n"
               "Body with <img src=x onerror=alert(1)> and   three spaces\nand a second line\n\n"
               "1 comment:\n\n  1. <b>bold?</b> & \"quotes\"\n\n    ReplyDelete\n")
    (tmp_path / "h.txt").write_text(hostile, "utf-8")
    import_paths([tmp_path / "h.txt"])
    db.session.commit()
    pid = db.session.scalar(select(Post.id))
    html = login().get(f"/posts/{pid}").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; title" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt; and   three spaces\nand a second line" in html
    assert "&lt;b&gt;bold?&lt;/b&gt; &amp; &#34;quotes&#34;" in html


def test_missing_post_is_404(login):
    c = login()
    assert c.get("/posts/99999").status_code == 404
    resp = c.get("/api/v1/posts/99999")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"


def test_api_posts_list(login, seeded):
    data = login().get("/api/v1/posts").get_json()
    assert data["total"] == 5 and data["page"] == 1 and data["pages"] == 1
    first = data["items"][0]
    assert set(first) >= {"id", "slug", "date", "title", "comment_count"}
    assert first["date"] == "2020-12-04" and first["slug"] == "2020-12-04-end-of-an-era"
    assert [i["date"] for i in data["items"]] == sorted((i["date"] for i in data["items"]), reverse=True)
    page2 = login().get("/api/v1/posts?page=2&per_page=2").get_json()
    assert page2["pages"] == 3 and len(page2["items"]) == 2
    bad = login().get("/api/v1/posts?page=abc")
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "page"


def test_api_post_detail(login, seeded, db):
    pid = post_id(db, "The Morning After")
    data = login().get(f"/api/v1/posts/{pid}").get_json()
    assert data["declared_comment_count"] == 31 and len(data["comments"]) == 31
    assert data["date"] == date(2013, 10, 31).isoformat() and data["body"].startswith("Two things") is False
    paths = [c["path"] for c in data["comments"]]
    assert paths[:4] == ["1", "1.1", "2", "3"]
    by_path = {c["path"]: c for c in data["comments"]}
    assert by_path["7.2"]["parent_id"] == by_path["7"]["id"] and by_path["7"]["parent_id"] is None
    stored = db.session.scalar(select(Comment.text).where(Comment.id == by_path["7"]["id"]))
    assert by_path["7"]["text"] == stored


def test_query_count_does_not_grow_with_comments(login, seeded, db, query_counter, app):
    c = login()
    small = post_id(db, "Third Sector Lobbying Hard")      # 6 comments
    large = post_id(db, "The Morning After")              # 31 comments
    counts = {}
    for pid in (small, large):
        for url in (f"/posts/{pid}", f"/api/v1/posts/{pid}"):
            with query_counter() as q:
                assert c.get(url).status_code == 200
            counts[url] = q["n"]
    assert counts[f"/posts/{small}"] == counts[f"/posts/{large}"] <= 6
    assert counts[f"/api/v1/posts/{small}"] == counts[f"/api/v1/posts/{large}"] <= 5
    with query_counter() as q:
        c.get("/")
    assert q["n"] <= 10  # session, user, count, page, years; claims per post and their review state
