"""schema.org ClaimReview (JSON-LD) for every adjudicated claim, as one JSON array.

reviewRating carries the textual verdict (alternateName) and its place on the ordinal scale
(ratingValue 1 = false … 5 = true); "unverifiable" has no place on it, so no ratingValue.
itemReviewed is the Claim with every appearance (each live span) and the first one by post date.
"""
import json
from typing import Iterable, Iterator

from flask import current_app

from ..annotations.models import Rating
from .w3c import unit_url

MEDIA_TYPE = "application/ld+json"
EXTENSION = "claimreview.json"
NEEDS = frozenset({"private"})   # from the loader: database ids for its URLs (the "_" keys); see native.NEEDS


def review(claim: dict, base: str) -> dict | None:
    live = [a for a in claim["adjudications"] if a["reopened_at"] is None]
    spans = [s for s in claim["spans"] if s["retracted_at"] is None]
    if claim["retracted_at"] is not None or not live or not spans:
        return None
    final = live[-1]
    rating = Rating(final["rating"])
    appearances = [{"@type": "CreativeWork", "url": unit_url(base, s["_post_id"], s["comment"]),
                    "datePublished": s["_post_date"], "text": s["exact"]}
                   for s in sorted(spans, key=lambda s: (s["_post_date"], s["post"], s["_position"], s["start"]))]
    rating_json = {"@type": "Rating", "alternateName": rating.label, "bestRating": 5, "worstRating": 1}
    if rating.rank is not None:
        rating_json["ratingValue"] = rating.rank
    org = current_app.config.get("EXPORT_ORGANIZATION", "Fact-check workbench")
    return {
        "@context": "https://schema.org", "@type": "ClaimReview",
        "url": f"{base}/posts/{claim['_post_id']}#claim-{claim['_id']}",
        "claimReviewed": claim["statement"],
        "datePublished": final["created_at"][:10],
        "author": {"@type": "Organization", "name": org, "url": base or None},
        "reviewRating": rating_json,
        "reviewBody": final["reasoning"],
        "itemReviewed": {"@type": "Claim", "appearance": appearances, "firstAppearance": appearances[0]},
    }


def write(posts: Iterable[dict], base_url: str = "") -> Iterator[str]:
    first = True
    yield "["
    for post in posts:
        for claim in post["claims"]:
            doc = review(claim, base_url)
            if doc is None:
                continue
            yield ("\n" if first else ",\n") + json.dumps(doc, ensure_ascii=False)
            first = False
    yield "\n]\n"
