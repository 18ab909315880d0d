"""Inter-reviewer agreement: Krippendorff's alpha (ordinal) from a coincidence matrix, and
pairwise percent agreement.

The scale. Verdicts are ordinal: true=5, mostly true=4, mixed=3, mostly false=2, false=1.
"Unverifiable" is not a point between true and false (it says the evidence is missing, not
that the claim is half true), so it is left out of alpha: a claim counts toward alpha when it
has two or more current verdicts on the ordinal scale. Pairwise agreement compares the exact
ratings two reviewers gave, unverifiable included, over the claims both rated.

The computation follows Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability":
    o_ck   = sum over units u of (number of c–k pairs in u) / (m_u − 1)
    n_c    = sum_k o_ck,  n = sum_c n_c
    δ²_ck  = (sum_{g from c to k} n_g − (n_c + n_k) / 2)²             (ordinal metric)
    alpha  = 1 − (n − 1) · sum o_ck δ²_ck / sum n_c n_k δ²_ck
"""
from collections import Counter, defaultdict
from itertools import combinations

from sqlalchemy import select

from ..annotations.models import Category, Claim, Rating, Verdict
from ..auth.models import User
from ..extensions import db


def ordinal_alpha(units: list[list[int]]) -> float | None:
    """Krippendorff's alpha, ordinal metric. units: the values each unit received (missing ones
    simply absent). Units with fewer than two values are not pairable and are ignored. None
    when alpha is undefined (no pairable values, or every value the same)."""
    units = [u for u in units if len(u) >= 2]
    values = sorted({v for u in units for v in u})
    if len(values) < 2:
        return None
    o: dict[tuple, float] = defaultdict(float)
    for u in units:
        m = len(u)
        counts = Counter(u)
        for c in counts:
            for k in counts:
                pairs = counts[c] * (counts[k] - 1) if c == k else counts[c] * counts[k]
                o[c, k] += pairs / (m - 1)
    n_c = {c: sum(o[c, k] for k in values) for c in values}
    n = sum(n_c.values())
    index = {v: i for i, v in enumerate(values)}

    def delta2(c, k):
        lo, hi = sorted((index[c], index[k]))
        return (sum(n_c[values[g]] for g in range(lo, hi + 1)) - (n_c[c] + n_c[k]) / 2) ** 2

    observed = sum(o[c, k] * delta2(c, k) for c in values for k in values)
    expected = sum(n_c[c] * n_c[k] * delta2(c, k) for c in values for k in values)
    if expected == 0:
        return None
    return 1 - (n - 1) * observed / expected


def pairwise(ratings_by_claim: dict[int, dict[int, str]]) -> list[dict]:
    """For each pair of reviewers who rated a claim in common: shared claims and percent agreeing."""
    shared: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for by_reviewer in ratings_by_claim.values():
        for a, b in combinations(sorted(by_reviewer), 2):
            cell = shared[a, b]
            cell[0] += 1
            cell[1] += by_reviewer[a] == by_reviewer[b]
    return [{"a": a, "b": b, "shared": n, "agreed": agreed, "percent": 100.0 * agreed / n}
            for (a, b), (n, agreed) in sorted(shared.items())]


def current_ratings(category_id: int | None = None) -> tuple[dict[int, dict[int, str]], dict[int, int]]:
    """Current verdicts on live claims: {claim: {reviewer: rating}}, and each claim's category."""
    stmt = (select(Verdict.claim_id, Verdict.reviewer_id, Verdict.rating, Claim.category_id)
            .join(Claim, Claim.id == Verdict.claim_id)
            .where(Verdict.superseded_at.is_(None), Claim.retracted_at.is_(None)))
    if category_id is not None:
        stmt = stmt.where(Claim.category_id == category_id)
    ratings: dict[int, dict[int, str]] = defaultdict(dict)
    category: dict[int, int] = {}
    for claim_id, reviewer_id, rating, cat in db.session.execute(stmt.order_by(Verdict.claim_id, Verdict.id)):
        ratings[claim_id][reviewer_id] = Rating(rating).value
        category[claim_id] = cat
    return dict(ratings), category


def _alpha_block(ratings: dict[int, dict[int, str]]) -> dict:
    units = [[Rating(r).rank for r in by.values() if Rating(r).rank is not None] for by in ratings.values()]
    used = [u for u in units if len(u) >= 2]
    return {"alpha": ordinal_alpha(used), "claims": len(used), "verdicts": sum(len(u) for u in used),
            "claims_with_two_verdicts": sum(1 for by in ratings.values() if len(by) >= 2)}


def agreement_report() -> dict:
    """Overall and per-category alpha, pairwise agreement, and how many claims each rests on."""
    ratings, category = current_ratings()
    overall = _alpha_block(ratings)
    per_category = []
    names = {c.id: c.name for c in db.session.scalars(select(Category).order_by(Category.position, Category.id))}
    for cat_id, name in names.items():
        subset = {cid: by for cid, by in ratings.items() if category[cid] == cat_id}
        if subset:
            per_category.append({"category_id": cat_id, "category": name, **_alpha_block(subset)})
    pairs = pairwise({cid: by for cid, by in ratings.items() if len(by) >= 2})
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({p[k] for p in pairs
                                                                                  for k in ("a", "b")})))}
    for p in pairs:
        p["a_user"], p["b_user"] = users[p["a"]], users[p["b"]]
    return {"overall": overall, "per_category": per_category, "pairs": pairs,
            "scale": {r.value: r.rank for r in Rating}}
