"""Example review work for `workbench demo`, so a first visit shows the product at work.

A workbench with five posts and no claims shows nothing of what it is for: the highlights, a
claim seen in two places, two reviewers who disagree, the dispute queue, tasks. The examples are
written through the same services as the API (permission checks, span checks, audit events) by
the demo reviewers, once, into a database that has no claims yet; every verdict and source says
it is an example, not a check of the figure.
"""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from .annotations import schemas
from .annotations.models import Claim, Rating
from .annotations.services import attach_span, set_verdict, write_claim
from .auth.models import User
from .corpus.models import Comment, Post
from .db import utcnow
from .extensions import db
from .tasks.models import TaskKind
from .tasks.services import TaskIn, create_task

NOTE = "Example from the demo data, not a real check of this figure."
NAO = {"url": "https://www.nao.org.uk/reports/transforming-rehabilitation-progress-review/",
       "title": "Transforming Rehabilitation: Progress review", "publisher": "National Audit Office",
       "stance": "context"}
HMIP = {"url": "https://www.justiceinspectorates.gov.uk/hmiprobation/",
        "title": "HM Inspectorate of Probation", "publisher": "HM Inspectorate of Probation",
        "stance": "context"}
PRT = {"url": "https://prisonreformtrust.org.uk/", "title": "Prison Reform Trust",
       "publisher": "Prison Reform Trust", "stance": "context"}


@dataclass
class Example:
    file: str                       # the seed file the words are in
    exact: str                      # the words, as they stand in the text
    statement: str
    category: str
    by: str                         # who marks it
    verdicts: dict[str, Rating]     # reviewer → rating
    sources: tuple = ()
    comment: str | None = None      # the comment's path, or None for the post body
    also: tuple = ()                # more appearances of the same claim: (file, exact, comment path)


EXAMPLES = [
    Example("001_c9ebe3be5a93ccd6.txt", "CRCs were forecasting losses of nearly £300 million on their contracts",
            "By March 2018 the CRCs forecast losses of nearly £300 million on their contracts.",
            "CRC finances", "rita", {"rita": Rating.MOSTLY_TRUE, "ravi": Rating.TRUE}, (NAO,)),
    Example("000_11cc20ea0a2e0eee.txt",
            "Out of 21 companies, 19 have failed to meet their targets for reducing the frequency of re-offending",
            "19 of the 21 CRCs failed to meet their targets for reducing the frequency of reoffending.",
            "reoffending", "ravi", {"ravi": Rating.TRUE, "rita": Rating.TRUE}, (NAO,)),
    Example("000_11cc20ea0a2e0eee.txt", "the government would waive £115m of penalties for missed targets",
            "The government waived £115m of penalties the CRCs owed for missed targets.",
            "funding and contracts", "rita", {"rita": Rating.MOSTLY_TRUE, "ravi": Rating.MIXED}, (NAO,),
            comment="4.8"),
    Example("001_c9ebe3be5a93ccd6.txt",
            "government spending per person under supervision is down 40 per cent in real terms since 2003/2004",
            "Government spending per person under probation supervision fell 40% in real terms from "
            "2003/04 to 2018/19.", "funding and contracts", "rita", {"rita": Rating.UNVERIFIABLE}, (HMIP,)),
    Example("004_4d5e1bcf5c394feb.txt", "Almost half of prisoners reoffend within a year of release",
            "Almost half of prisoners reoffend within a year of release.", "reoffending", "ravi",
            {"ravi": Rating.MOSTLY_TRUE}, (PRT,)),
    Example("000_11cc20ea0a2e0eee.txt", "nearly 40 per cent of offenders supervised by phone",
            "In December 2017 nearly 40% of offenders were supervised by phone rather than face to face.",
            "inspection ratings", "ravi", {}, (HMIP,), comment="4.8"),
    Example("000_11cc20ea0a2e0eee.txt", "went to 21 community rehabilitation companies",
            "Low- and medium-risk probation work went to 21 community rehabilitation companies.",
            "funding and contracts", "rita", {"rita": Rating.TRUE, "ravi": Rating.TRUE}, (NAO,), comment="4.8",
            also=(("000_11cc20ea0a2e0eee.txt", "Of 21 companies", None),)),
]


def _unit(file: str, exact: str, path: str | None) -> dict:
    """Where the words are: the post (by its seed file) and, for a comment, its id."""
    post = db.session.execute(select(Post.id, Post.body).where(Post.source_name == file)).one()
    comment_id, text = None, post.body
    if path is not None:
        comment_id, text = db.session.execute(select(Comment.id, Comment.text).where(
            Comment.post_id == post.id, Comment.path == path)).one()
    start = text.find(exact)
    if start < 0:
        raise LookupError(f"the demo example {exact!r} is not in {file} {path or 'body'}")
    return {"post_id": post.id, "comment_id": comment_id, "start": start, "end": start + len(exact), "exact": exact}


def seed_examples() -> int:
    """Write the examples if the database has no claims yet; the number of claims written."""
    if db.session.scalar(select(func.count()).select_from(Claim)):
        return 0
    people = {u.username: u for u in db.session.scalars(select(User).where(
        User.username.in_(["lead", "rita", "ravi"])))}
    if len(people) < 3:
        return 0
    claims = []
    for ex in EXAMPLES:
        author = people[ex.by]
        data = {**_unit(ex.file, ex.exact, ex.comment), "statement": ex.statement, "category": ex.category,
                "sources": [dict(s) for s in ex.sources]}
        if ex.by in ex.verdicts:
            data["verdict"] = {"rating": ex.verdicts[ex.by].value, "rationale": NOTE}
        claim = db.session.get(Claim, write_claim(author, data).id)
        for file, exact, path in ex.also:
            attach_span(author, claim, _unit(file, exact, path))
        for reviewer, rating in ex.verdicts.items():
            if reviewer != ex.by:
                set_verdict(people[reviewer], claim, schemas.VerdictIn(rating=rating, rationale=NOTE))
        claims.append(claim)
    lead, soon = people["lead"], (utcnow() + timedelta(days=7)).date()
    # The claim only Rita has rated waits for a second reviewer; a post waits to be read.
    create_task(lead, TaskIn(kind=TaskKind.CHECK_CLAIM, assignee_id=people["ravi"].id, claim_id=claims[3].id,
                             due_date=soon, priority=1, notes="Second verdict, please: find the spending series."))
    create_task(lead, TaskIn(kind=TaskKind.ANNOTATE_POST, assignee_id=people["rita"].id,
                             post_id=db.session.scalar(select(Post.id).where(Post.source_name == "002_677ab8320efc4abc.txt")),
                             due_date=soon, notes="Mark the figures in the post and its comments."))
    return len(claims)
