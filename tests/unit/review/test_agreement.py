"""Krippendorff's alpha (ordinal) by hand, against the published example and the `krippendorff`
package, and the agreement report over real verdicts (unverifiable left out of alpha)."""
import math
import random

import krippendorff
import numpy as np
import pytest

from tests.unit.review.helpers import PHRASES, give_verdict, make_claim
from workbench.review.agreement import agreement_report, ordinal_alpha, pairwise

NAN = np.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers, 12 units.
PAPER = [[1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
         [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN]]


def units_of(matrix) -> list[list[int]]:
    return [[int(row[u]) for row in matrix if not math.isnan(row[u])] for u in range(len(matrix[0]))]


def test_two_values_worked_by_hand():
    # Units (1,1), (2,2), (1,2). Coincidences o11 = 2, o22 = 2, o12 = o21 = 1; n1 = n2 = 3, n = 6.
    # Ordinal δ²(1,2) = (n1 + n2 − (n1 + n2)/2)² = 9.  Σ o δ² = 2·9 = 18;  Σ n_c n_k δ² = 2·3·3·9 = 162.
    # alpha = 1 − (n − 1) · 18 / 162 = 1 − 5/9 = 4/9.
    assert ordinal_alpha([[1, 1], [2, 2], [1, 2]]) == pytest.approx(4 / 9)


def test_three_values_worked_by_hand():
    # Units (1,2), (2,3), (3,3), (1,1). o11 = 2, o33 = 2, o12 = o21 = 1, o23 = o32 = 1.
    # n1 = 3, n2 = 2, n3 = 3, n = 8.
    # δ²(1,2) = (3 + 2 − 2.5)² = 6.25; δ²(2,3) = (2 + 3 − 2.5)² = 6.25; δ²(1,3) = (3 + 2 + 3 − 3)² = 25.
    # Σ o δ² = 2·6.25 + 2·6.25 = 25.
    # Σ n_c n_k δ² = 2·(3·2·6.25 + 2·3·6.25 + 3·3·25) = 2·(37.5 + 37.5 + 225) = 600.
    # alpha = 1 − 7 · 25 / 600 = 1 − 175/600 = 0.708333…
    assert ordinal_alpha([[1, 2], [2, 3], [3, 3], [1, 1]]) == pytest.approx(1 - 175 / 600)


def test_published_example_ordinal_is_0_815():
    assert ordinal_alpha(units_of(PAPER)) == pytest.approx(0.815, abs=5e-4)
    assert ordinal_alpha(units_of(PAPER)) == pytest.approx(
        krippendorff.alpha(reliability_data=PAPER, level_of_measurement="ordinal"))


def test_undefined_and_perfect_cases():
    assert ordinal_alpha([]) is None
    assert ordinal_alpha([[3], [4]]) is None            # nothing pairable
    assert ordinal_alpha([[2, 2], [2, 2, 2]]) is None   # no variation: alpha undefined
    assert ordinal_alpha([[1, 1], [5, 5], [3, 3, 3]]) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(25))
def test_matches_the_krippendorff_package_on_random_data(seed):
    rng = random.Random(seed)
    coders, n_units = rng.randint(2, 6), rng.randint(2, 30)
    matrix = [[rng.choice([1, 2, 3, 4, 5, NAN]) if rng.random() < 0.8 else NAN for _ in range(n_units)]
              for _ in range(coders)]
    units = units_of(matrix)
    pairable = [u for u in units if len(u) >= 2]
    if len({v for u in pairable for v in u}) < 2:
        assert ordinal_alpha(units) is None
        return
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="ordinal",
                                  value_domain=[1, 2, 3, 4, 5])
    assert ordinal_alpha(units) == pytest.approx(expected, abs=1e-9)


def test_pairwise_percent_and_shared_counts():
    pairs = pairwise({1: {10: "true", 20: "true", 30: "false"}, 2: {10: "mixed", 20: "true"}, 3: {20: "false"}})
    assert pairs == [
        {"a": 10, "b": 20, "shared": 2, "agreed": 1, "percent": 50.0},
        {"a": 10, "b": 30, "shared": 1, "agreed": 0, "percent": 0.0},
        {"a": 20, "b": 30, "shared": 1, "agreed": 0, "percent": 0.0},
    ]


def test_report_over_verdicts_excludes_unverifiable_from_alpha(app, db, seeded, make_user):
    a, b, c = make_user(), make_user(), make_user()
    author = make_user()
    c1 = make_claim(db, author, "one", phrase=PHRASES[1], category="reoffending")
    c2 = make_claim(db, author, "two", phrase=PHRASES[2], category="reoffending")
    c3 = make_claim(db, author, "three", phrase=PHRASES[3], category="CRC finances")
    c4 = make_claim(db, author, "four", phrase=PHRASES[4], category="CRC finances")
    for claim, ratings in [(c1, {a: "true", b: "true"}), (c2, {a: "true", b: "mostly_true", c: "false"}),
                           (c3, {a: "false", b: "unverifiable"}), (c4, {c: "mixed"})]:
        for reviewer, rating in ratings.items():
            give_verdict(db, reviewer, claim, rating)
    report = agreement_report()
    # c3 has one ordinal verdict once unverifiable is left out, c4 only one verdict: alpha uses c1 and c2.
    assert report["overall"]["claims"] == 2 and report["overall"]["verdicts"] == 5
    assert report["overall"]["claims_with_two_verdicts"] == 3
    assert report["overall"]["alpha"] == pytest.approx(ordinal_alpha([[5, 5], [5, 4, 1]]))
    by_cat = {row["category"]: row for row in report["per_category"]}
    assert by_cat["reoffending"]["claims"] == 2
    assert by_cat["CRC finances"]["claims"] == 0 and by_cat["CRC finances"]["alpha"] is None
    pairs = {(p["a"], p["b"]): (p["shared"], p["agreed"]) for p in report["pairs"]}
    assert pairs[(a.id, b.id)] == (3, 1)                 # c1 agree, c2 differ, c3 differ (unverifiable counts)
    assert pairs[(a.id, c.id)] == (1, 0)


def test_agreement_page_and_api(login, seeded, db, make_user):
    lead, rita = login("lead"), login("reviewer")
    author, other = make_user(), make_user()
    claim = make_claim(db, author, "x", phrase=PHRASES[1])
    give_verdict(db, rita.user, claim, "true")
    give_verdict(db, other, claim, "mostly_false")
    assert rita.get("/agreement").status_code == 403 and rita.get("/api/v1/agreement").status_code == 403
    data = lead.get("/api/v1/agreement").get_json()
    # One claim with two different verdicts: observed disagreement equals the expected, so alpha = 0.
    assert data["overall"]["claims"] == 1 and data["overall"]["alpha"] == pytest.approx(0.0)
    assert data["pairs"][0]["shared"] == 1 and data["scale"]["unverifiable"] is None
    page = lead.get("/agreement").get_data(as_text=True)
    assert "Krippendorff" in page and "unverifiable" in page.lower() and 'id="alpha-overall">0.000' in page
