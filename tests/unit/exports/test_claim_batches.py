"""Export batches are cut by claims as well as posts, so memory follows the claims in hand."""
from sqlalchemy import select

from workbench.corpus.models import Post
from workbench.exports import loader
from workbench.exports.filters import ExportOptions


def test_batches_cut_by_claims_export_the_same_records(login, seeded, db, monkeypatch):
    c = login("lead")
    for post in db.session.scalars(select(Post)).all():
        for i in range(2):
            exact = post.body[i * 12:i * 12 + 10]
            start = post.body.index(exact)
            assert c.post("/api/v1/claims", json={"post_id": post.id, "comment_id": None, "start": start,
                                                  "end": start + len(exact), "exact": exact, "statement": exact,
                                                  "category": "other"}).status_code == 201
    whole = list(loader.iter_posts(ExportOptions()))
    cuts = []
    real = loader._batch
    monkeypatch.setattr(loader, "BATCH_CLAIMS", 3)
    monkeypatch.setattr(loader, "_batch", lambda posts, *a: cuts.append(len(posts)) or real(posts, *a))
    pieces = list(loader.iter_posts(ExportOptions()))
    assert pieces == whole
    assert cuts == [1, 1, 1, 1, 1]      # 2 claims a post, at most 3 a batch: one post a batch
