"""ClaimReview JSON-LD (validated by its schema) and the CSV export (formula injection neutralised)."""
import csv
import io
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from tests.unit.exports.builders import body
from workbench.annotations import services
from workbench.corpus.models import Post
from workbench.exports.filters import ExportOptions
from workbench.exports.services import export

SCHEMA = Path(__file__).resolve().parents[3] / "workbench" / "schemas" / "claimreview.schema.json"


def run(fmt, **options):
    return "".join(export(None, fmt, ExportOptions(**options), base="https://wb.example"))


def test_claimreview_for_each_adjudicated_claim(annotated):
    docs = json.loads(run("claimreview"))
    errors = list(Draft202012Validator(json.loads(SCHEMA.read_text())).iter_errors(docs))
    assert errors == [], errors[0].message if errors else None
    assert len(docs) == 1
    review = docs[0]
    assert review["claimReviewed"] == "A claim in a comment"
    assert review["reviewRating"] == {"@type": "Rating", "alternateName": "false", "bestRating": 5,
                                      "worstRating": 1, "ratingValue": 1}
    item = review["itemReviewed"]
    assert item["@type"] == "Claim" and item["firstAppearance"] == item["appearance"][0]
    assert "#c" in item["appearance"][0]["url"]
    assert review["author"]["@type"] == "Organization"


def test_claimreview_appearances_and_first_appearance_by_post_date(annotated, db, make_user):
    from workbench.annotations.models import Claim, Rating
    from workbench.review.models import Adjudication
    claim = db.session.get(Claim, annotated["two_posts"])
    lead = annotated["users"][2]
    db.session.add(Adjudication(claim_id=claim.id, lead_id=lead.id, rating=Rating.UNVERIFIABLE, reasoning=""))
    db.session.commit()
    docs = json.loads(run("claimreview"))
    assert Draft202012Validator(json.loads(SCHEMA.read_text())).is_valid(docs)
    review = next(d for d in docs if d["claimReviewed"] == "Seen twice")
    dates = [a["datePublished"] for a in review["itemReviewed"]["appearance"]]
    assert len(dates) == 2 and dates == sorted(dates)
    first_post = db.session.scalar(select(Post).order_by(Post.date))
    # created on the second post, also seen on the first, earlier one: that is the first appearance
    assert review["itemReviewed"]["firstAppearance"]["datePublished"] == first_post.date.isoformat()
    assert "ratingValue" not in review["reviewRating"]
    assert review["reviewRating"]["alternateName"] == "unverifiable"


def rows(text):
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_csv_one_row_per_claim(annotated):
    table = rows(run("csv"))
    assert [r["statement"] for r in table].count("A disputed claim") == 1
    assert len(table) == 3                    # the retracted claim is left out
    disputed = next(r for r in table if r["statement"] == "A disputed claim")
    assert disputed["verdicts"] == "rita: mostly true; ravi: mostly false"
    assert disputed["final_verdict"] == "" and disputed["status"] == "disputed"
    # both sources were written at the same instant: they come in uid order, random here
    assert sorted(disputed["source_urls"].splitlines()) == ["https://example.org/b", "https://www.gov.uk/a"]
    assert disputed["location"] == "body"
    comment = next(r for r in table if r["statement"] == "A claim in a comment")
    assert comment["location"].startswith("comment ") and comment["final_verdict"] == "false"
    twice = next(r for r in table if r["statement"] == "Seen twice")
    assert twice["final_verdict"] == "true" and twice["location"].count("body") == 2


@pytest.mark.parametrize("payload", ["=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
                                     "@SUM(1+9)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"])
def test_csv_neutralises_formula_injection(seeded, db, make_user, payload):
    user = make_user("reviewer", "mallory")
    post = db.session.scalar(select(Post).order_by(Post.date))
    exact = " ".join(post.body.split()[:3])
    services.create_claim(user, body(post, exact, "statement", sources=[{"url": "https://example.org/x"}]))
    db.session.commit()
    from workbench.annotations.models import Claim
    claim = db.session.scalar(select(Claim))
    claim.statement = payload     # stored as typed, whatever a reviewer pasted
    db.session.commit()
    table = rows(run("csv"))
    assert table[0]["statement"] == "'" + payload
    for row in table:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
