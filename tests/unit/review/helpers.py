"""Small makers for review tests: claims on the seed posts, verdicts, through the real services."""
from sqlalchemy import select

from workbench.annotations import schemas, services as claims
from workbench.annotations.models import Rating
from workbench.corpus.models import Post

PHRASES = ["Out of 21 companies, 19 have failed to meet their targets", "Working Links", "Chief Inspector",
           "probation", "re-offending", "inadequate", "Ministry of Justice", "21 regional companies"]


def first_post(db) -> Post:
    return db.session.scalar(select(Post).where(Post.body.contains(PHRASES[0])))


def make_claim(db, author, statement="19 of 21 CRCs missed their reoffending targets", *, phrase=None,
               category="reoffending", post=None, verdict=None, commit=True):
    post = post or first_post(db)
    phrase = phrase or PHRASES[0]
    start = post.body.index(phrase)
    data = {"post_id": post.id, "start": start, "end": start + len(phrase), "exact": phrase,
            "statement": statement, "category": category}
    if verdict:
        data["verdict"] = {"rating": verdict, "rationale": f"{author.username} thinks {verdict}"}
    claim = claims.create_claim(author, data)
    if commit:
        db.session.commit()
    return claim


def give_verdict(db, reviewer, claim, rating, rationale=""):
    row = claims.set_verdict(reviewer, claim, schemas.VerdictIn(Rating(rating), rationale))
    db.session.commit()
    return row
