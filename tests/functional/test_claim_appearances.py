"""One claim, many appearances: the claim page lists them with dates, the first appearance first."""
from sqlalchemy import select

from workbench.corpus.models import Comment, Post


def span(post, comment, exact):
    text = comment.text if comment else post.body
    start = text.index(exact)
    return {"post_id": post.id, "comment_id": comment.id if comment else None, "start": start,
            "end": start + len(exact), "exact": exact}


def test_claim_page_lists_appearances_first_first(login, seeded, db):
    later = db.session.scalar(select(Post).where(Post.title == "End of an Era"))          # 2020
    earlier = db.session.scalar(select(Post).where(Post.title == "The Morning After"))    # 2013
    c7 = db.session.scalar(select(Comment).where(Comment.post_id == earlier.id, Comment.path == "7"))
    c = login()
    claim = c.post("/api/v1/claims", json={**span(later, None, later.body[:20]), "statement": "A figure",
                                           "category": "other"}).get_json()
    assert c.post(f"/api/v1/claims/{claim['id']}/spans", json=span(earlier, c7, "30%?")).status_code == 201
    html = c.get(f"/claims/{claim['id']}").get_data(as_text=True)
    assert "2 appearances, first first" in html
    first, second = html.index("31 October 2013"), html.index("4 December 2020")
    assert first < second and "first appearance" in html[first:second]
    assert f"/posts/{earlier.id}#c7" in html
    assert f"/claims/{claim['id']}/review" in html
