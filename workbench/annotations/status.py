"""A claim's review status, derived from its verdicts, flags and adjudications (never typed in).

no_verdict: nobody has given a verdict; agreed: the current verdicts all agree; disputed:
they disagree, or someone flagged the claim with a reason; adjudicated: a lead has recorded
the final verdict (and it has not been reopened).
"""
import enum
from collections import defaultdict

from sqlalchemy import select

from ..extensions import db
from ..review.models import Adjudication, Flag
from .models import Verdict


class Status(str, enum.Enum):
    NO_VERDICT = "no_verdict"
    AGREED = "agreed"
    DISPUTED = "disputed"
    ADJUDICATED = "adjudicated"

    @property
    def label(self) -> str:
        return {"no_verdict": "no verdict yet", "agreed": "verdicts agree", "disputed": "disputed",
                "adjudicated": "adjudicated"}[self.value]


def derive(ratings: list, open_flags: int, adjudicated: bool) -> Status:
    if adjudicated:
        return Status.ADJUDICATED
    if open_flags or len(set(ratings)) > 1:
        return Status.DISPUTED
    return Status.AGREED if ratings else Status.NO_VERDICT


def review_state(claim_ids: list[int]) -> dict[int, dict]:
    """For many claims at once (three queries): current verdicts, open flags, live adjudication."""
    state = {cid: {"verdicts": [], "flags": [], "adjudication": None} for cid in claim_ids}
    if not claim_ids:
        return state
    # Rows (column attributes only), not ORM objects: this runs for every claim on a page.
    for v in db.session.execute(select(*Verdict.__table__.c).where(
            Verdict.claim_id.in_(claim_ids), Verdict.superseded_at.is_(None)).order_by(Verdict.id)):
        state[v.claim_id]["verdicts"].append(v)
    for f in db.session.execute(select(*Flag.__table__.c).where(
            Flag.claim_id.in_(claim_ids), Flag.cleared_at.is_(None)).order_by(Flag.id)):
        state[f.claim_id]["flags"].append(f)
    for a in db.session.execute(select(*Adjudication.__table__.c).where(
            Adjudication.claim_id.in_(claim_ids), Adjudication.reopened_at.is_(None)).order_by(Adjudication.id)):
        state[a.claim_id]["adjudication"] = a
    for s in state.values():
        s["status"] = derive([v.rating for v in s["verdicts"]], len(s["flags"]), s["adjudication"] is not None)
    return state


def grouped(rows, key):
    out = defaultdict(list)
    for r in rows:
        out[getattr(r, key)].append(r)
    return out
