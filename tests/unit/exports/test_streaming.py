"""Exports stream: memory stays flat and queries grow by a fixed number per batch of posts,
however large the corpus (checked on generated corpora of different sizes)."""
import hashlib
import tracemalloc
from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import insert, select

from workbench.annotations.models import Category, Claim, ClaimSpan, Source, Verdict
from workbench.audit import AuditEvent
from workbench.corpus.models import Comment, Post
from workbench.exports.filters import ExportOptions
from workbench.exports.loader import BATCH_POSTS
from workbench.exports.services import export
from workbench.tasks.models import Task

TEXT = "The CRC reported that 19 of 21 companies missed their targets, at a cost of £300 million. " * 4


def generate(db, make_user, n_posts: int, start: int = 0) -> None:
    """n_posts posts, each with 6 comments and 2 claims (a span, a source, two verdicts, history,
    a check task), and an annotate task."""
    a = make_user("reviewer", f"gen-a{start}")
    b = make_user("reviewer", f"gen-b{start}")
    category = db.session.scalar(select(Category.id))
    when = datetime(2020, 1, 1)
    posts = [dict(slug=f"gen-{start + i:06d}", date=date(2015, 1, 1) + timedelta(days=(start + i) % 2000),
                  title=f"Generated {start + i}", body=TEXT, comment_count=6, source_name="gen",
                  content_hash=hashlib.sha256(str(start + i).encode()).hexdigest()) for i in range(n_posts)]
    ids = db.session.execute(insert(Post).returning(Post.id, sort_by_parameter_order=True), posts).scalars().all()
    db.session.execute(insert(Comment), [dict(post_id=pid, path=str(k + 1), position=k, depth=0, text=TEXT)
                                         for pid in ids for k in range(6)])
    claims = [dict(uid=uuid4().hex, post_id=pid, statement="19 of 21 missed", category_id=category,
                   created_by_id=a.id, created_at=when, updated_at=when, version=1) for pid in ids for _ in range(2)]
    claim_ids = db.session.execute(insert(Claim.__table__).returning(Claim.__table__.c.id, sort_by_parameter_order=True),
                                   claims).scalars().all()
    post_of = [pid for pid in ids for _ in range(2)]
    db.session.execute(insert(ClaimSpan), [dict(uid=uuid4().hex, claim_id=c, post_id=p, start=22, end=40,
                                                exact=TEXT[22:40], prefix=TEXT[:22], suffix=TEXT[40:72],
                                                created_by_id=a.id, created_at=when)
                                           for c, p in zip(claim_ids, post_of)])
    db.session.execute(insert(Source), [dict(uid=uuid4().hex, claim_id=c, url="https://example.org/s",
                                             created_by_id=a.id, created_at=when) for c in claim_ids])
    db.session.execute(insert(Verdict), [dict(uid=uuid4().hex, claim_id=c, reviewer_id=r, rating=rating,
                                              created_at=when)
                                         for c in claim_ids for r, rating in ((a.id, "true"), (b.id, "false"))])
    db.session.execute(insert(AuditEvent), [dict(at=when, actor_id=a.id, entity_type="claim", entity_id=c,
                                                 action="create", claim_id=c, after='{"x": 1}') for c in claim_ids])
    db.session.execute(insert(Task.__table__), [dict(uid=uuid4().hex, kind="check_claim", post_id=p, claim_id=c,
                                                     assignee_id=b.id, created_by_id=a.id, created_at=when,
                                                     updated_at=when, priority=2, notes="", status="open", version=1)
                                                for c, p in zip(claim_ids, post_of)]
                       + [dict(uid=uuid4().hex, kind="annotate_post", post_id=p, claim_id=None, assignee_id=a.id,
                               created_by_id=b.id, created_at=when, updated_at=when, priority=2, notes="",
                               status="open", version=1) for p in ids])
    db.session.commit()


def consume(fmt: str, options: ExportOptions = ExportOptions()) -> int:
    size = 0
    for chunk in export(None, fmt, options, base="https://wb.example"):
        size += len(chunk)
    return size


def peak(fmt: str) -> int:
    consume(fmt)     # warm caches (compiled statements) so both sizes are measured alike
    tracemalloc.start()
    try:
        consume(fmt)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", ["jsonl", "w3c"])
def test_memory_stays_flat_as_the_corpus_grows(db, make_user, fmt):
    generate(db, make_user, 2 * BATCH_POSTS)
    small, small_size = peak(fmt), consume(fmt)
    generate(db, make_user, 6 * BATCH_POSTS, start=2 * BATCH_POSTS)
    large, large_size = peak(fmt), consume(fmt)
    assert large_size > 3.5 * small_size        # four times the data went out …
    assert large < small * 1.5, (small, large)  # … with about the same peak memory


def test_a_fixed_number_of_queries_per_batch(db, make_user, query_counter):
    generate(db, make_user, 2 * BATCH_POSTS)
    with query_counter() as two:
        consume("jsonl")
    with query_counter() as two_lean:
        consume("jsonl", ExportOptions(omit_tasks=True, omit_history=True))
    generate(db, make_user, 2 * BATCH_POSTS, start=2 * BATCH_POSTS)
    with query_counter() as four:
        size = consume("jsonl")
    with query_counter() as four_lean:
        consume("jsonl", ExportOptions(omit_tasks=True, omit_history=True))
    per_batch = (four["n"] - two["n"]) / 2
    # 14 before tasks were exported; the tasks of a batch (its claims' and its posts') are one more,
    # and the posts' own history (corrections, annotate tasks' events) one more again
    assert per_batch == int(per_batch) and per_batch <= 16, per_batch
    assert two["n"] <= 2 * per_batch + 4
    # without tasks and history, neither the tasks nor the history (claims' and posts') are read
    assert (four_lean["n"] - two_lean["n"]) / 2 == per_batch - 3
    tasks = [sql for sql in four["sql"] if "FROM task" in sql and "audit_event" not in sql]   # not the history's
    assert len(tasks) == 4 and size > 0    # one per batch of posts, however many tasks they have
