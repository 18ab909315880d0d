"""Annotated seed data for the export tests: claims on bodies and replies, sources, agreeing and
disagreeing verdicts (one superseded), a flag, discussion, an adjudication, a retraction, a
claim that appears on two posts, and review tasks (done, open, in progress, cancelled; of posts
and of claims; one for a user who appears nowhere else). Built through the real services where
they exist."""
from datetime import date

from sqlalchemy import select

from workbench import audit
from workbench.annotations import schemas, services
from workbench.annotations.models import Rating
from workbench.corpus.models import Comment, Post
from workbench.db import utcnow
from workbench.review.models import Adjudication, DiscussionPost, Flag
from workbench.tasks import services as tasks
from workbench.tasks.models import TaskKind


def body(post, exact, statement, category="reoffending", comment=None, **extra):
    text = comment.text if comment else post.body
    start = text.index(exact)
    data = {"post_id": post.id, "comment_id": comment.id if comment else None, "start": start,
            "end": start + len(exact), "exact": exact, "statement": statement, "category": category}
    data.update(extra)
    return data


def words(text, n=4, skip=0):
    """A few words from the text, to anchor a claim on."""
    parts = text.split()
    return " ".join(parts[skip:skip + n])


def annotate(db, make_user):
    rita, ravi, lead = make_user("reviewer", "rita"), make_user("reviewer", "ravi"), make_user("lead", "lena")
    tess = make_user("reviewer", "tess")    # only ever assigned a task
    posts = db.session.scalars(select(Post).order_by(Post.date)).all()
    first, second = posts[0], posts[1]
    comment = db.session.scalar(select(Comment).where(Comment.post_id == first.id, Comment.depth == 1)
                                .order_by(Comment.position)) or \
        db.session.scalar(select(Comment).where(Comment.post_id == first.id).order_by(Comment.position))
    disputed = services.create_claim(rita, body(
        first, words(first.body, 6, 3), "A disputed claim", sources=[
            {"url": "https://www.gov.uk/a", "title": "Stats", "stance": "supports", "accessed": "2020-01-02"},
            {"url": "https://example.org/b", "stance": "refutes"}],
        verdict={"rating": "mostly_true", "rationale": "Table 3."}))
    services.set_verdict(ravi, disputed, schemas.VerdictIn(Rating.FALSE, "Misread."))
    services.set_verdict(ravi, disputed, schemas.VerdictIn(Rating.MOSTLY_FALSE, "On reflection."))
    flag = Flag(claim_id=disputed.id, created_by_id=ravi.id, reason="The figure is for 2012.")
    db.session.add(flag)
    db.session.add(DiscussionPost(claim_id=disputed.id, author_id=rita.id, body="Which table, though?"))
    db.session.flush()
    audit.record(ravi, "flag", flag.id, "create", after={"reason": flag.reason}, claim_id=disputed.id)

    adjudicated = services.create_claim(ravi, body(
        first, words(comment.text, 3), "A claim in a comment", category="CRC finances", comment=comment,
        verdict={"rating": "false", "rationale": "No."}))
    services.set_verdict(rita, adjudicated, schemas.VerdictIn(Rating.MOSTLY_FALSE, "Mostly no."))
    adj = Adjudication(claim_id=adjudicated.id, lead_id=lead.id, rating=Rating.FALSE, reasoning="Settled.",
                       created_at=utcnow())
    db.session.add(adj)
    db.session.flush()
    audit.record(lead, "adjudication", adj.id, "create", after={"rating": "false"}, claim_id=adjudicated.id)

    two_posts = services.create_claim(rita, body(second, words(second.body, 5, 10), "Seen twice",
                                                 verdict={"rating": "true", "rationale": ""}))
    services.attach_span(rita, two_posts, body(first, words(first.body, 3, 30), "x"))
    services.set_verdict(ravi, two_posts, schemas.VerdictIn(Rating.TRUE, "Agreed."))
    retracted = services.create_claim(rita, body(second, words(second.body, 3, 40), "Withdrawn"))
    services.retract_claim(rita, retracted, {"reason": "Not a claim.", "version": retracted.version})

    check = tasks.create_task(lead, tasks.TaskIn(TaskKind.CHECK_CLAIM, ravi.id, claim_id=disputed.id,
                                                 due_date=date(2026, 12, 1), priority=1,
                                                 notes="Table 3 – “the figure” 😀"))
    tasks.transition(ravi, check, "complete")
    tasks.create_task(lead, tasks.TaskIn(TaskKind.ADJUDICATE_CLAIM, lead.id, claim_id=disputed.id))
    reading = tasks.create_task(lead, tasks.TaskIn(TaskKind.ANNOTATE_POST, rita.id, post_id=second.id, priority=3))
    tasks.transition(rita, reading, "start")
    dropped = tasks.create_task(lead, tasks.TaskIn(TaskKind.CHECK_CLAIM, ravi.id, claim_id=two_posts.id))
    tasks.transition(lead, dropped, "cancel", reason="Assigned twice.")
    tasks.create_task(lead, tasks.TaskIn(TaskKind.ANNOTATE_POST, tess.id, post_id=first.id))
    db.session.commit()
    return {"users": (rita, ravi, lead), "tess": tess, "disputed": disputed.id, "adjudicated": adjudicated.id,
            "two_posts": two_posts.id, "retracted": retracted.id}


def correct_first_post(db, folder):
    """Re-imports the first seed post (by date) with --accept-changes through the real importer:
    words put before its body (its claims there move: reanchor events), a comment's text and
    the title's case corrected (correct_text, correct_title in the audit log). Returns the post."""
    from tests.conftest import SEEDS
    from workbench.corpus.services import import_paths
    post = db.session.scalar(select(Post).order_by(Post.date, Post.slug))
    comment = db.session.scalar(select(Comment).where(Comment.post_id == post.id, Comment.path == "1"))
    raw = (SEEDS / post.source_name).read_text("utf-8")
    head, tail = post.body[:40], comment.text[-30:]
    assert raw.count(head) == raw.count(tail) == 1 and post.title in raw
    fixed = (raw.replace(post.title, post.title.upper(), 1).replace(head, "Corrected: " + head, 1)
             .replace(tail, tail + " (edited)", 1))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / post.source_name
    path.write_text(fixed, "utf-8")
    result, = import_paths([path], accept_changes=True).results
    assert result.status == "corrected", result.message
    db.session.commit()
    return post
