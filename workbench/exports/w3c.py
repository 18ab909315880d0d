"""W3C Web Annotation Data Model (JSON-LD): one Annotation per claim, in an AnnotationCollection.

The output is JSON Lines of JSON-LD documents: first the AnnotationCollection, then its
AnnotationPages in order, each holding up to PAGE_SIZE annotations and linked by next/prev.
A claim's target is each text unit it appears in (the post, or a comment: {base}/posts/<id>#c7-2)
with two selectors for the same words: TextQuoteSelector and TextPositionSelector (offsets in
Unicode code points, as the model requires). Its bodies: the verdict ("assessing"), every source
("linking"), the category ("tagging") and the statement ("describing").
"""
import json
from datetime import datetime
from typing import Iterable, Iterator

from ..annotations.models import Rating

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
EXTENSION = "w3c.jsonl"
NEEDS = frozenset({"private"})   # from the loader: database ids for its URLs (the "_" keys); see native.NEEDS
PAGE_SIZE = 100


def _dt(value: str | None) -> str | None:
    """Native timestamps (microseconds) as xsd:dateTime in UTC to the second."""
    if value is None:
        return None
    return datetime.fromisoformat(value.removesuffix("Z")).isoformat(timespec="seconds") + "Z"


def _agent(username: str | None) -> dict | None:
    return None if username is None else {"type": "Person", "nickname": username}


def unit_url(base: str, post_id: int, comment_path: str | None) -> str:
    url = f"{base}/posts/{post_id}"
    return url if comment_path is None else url + "#c" + comment_path.replace(".", "-")


def annotation(claim: dict, base: str) -> dict | None:
    spans = [s for s in claim["spans"] if s["retracted_at"] is None]
    if claim["retracted_at"] is not None or not spans:
        return None
    bodies = [{"type": "TextualBody", "purpose": "describing", "value": claim["statement"], "format": "text/plain"}]
    live = [a for a in claim["adjudications"] if a["reopened_at"] is None]
    verdicts = ([(a["rating"], a["lead"], a["created_at"]) for a in live[-1:]] or
                [(v["rating"], v["reviewer"], v["created_at"]) for v in claim["verdicts"] if v["superseded_at"] is None])
    for rating, who, when in verdicts:
        body = {"type": "TextualBody", "purpose": "assessing", "value": Rating(rating).label,
                "format": "text/plain", "created": _dt(when)}
        if who:
            body["creator"] = _agent(who)
        bodies.append(body)
    for s in claim["sources"]:
        if s["retracted_at"] is None:
            bodies.append({"type": "SpecificResource", "purpose": "linking", "source": s["url"]})
    bodies.append({"type": "TextualBody", "purpose": "tagging", "value": claim["category"], "format": "text/plain"})
    targets = [{"type": "SpecificResource", "source": unit_url(base, s["_post_id"], s["comment"]),
                "selector": [{"type": "TextQuoteSelector", "exact": s["exact"], "prefix": s["prefix"],
                              "suffix": s["suffix"]},
                             {"type": "TextPositionSelector", "start": s["start"], "end": s["end"]}]}
               for s in spans]
    anno = {"@context": CONTEXT, "id": f"{base}/api/v1/claims/{claim['_id']}", "type": "Annotation",
            "motivation": "assessing", "created": _dt(claim["created_at"]), "modified": _dt(claim["updated_at"]),
            "body": bodies, "target": targets[0] if len(targets) == 1 else targets}
    if claim["created_by"]:
        anno["creator"] = _agent(claim["created_by"])
    return anno


def _dumps(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def write(posts: Iterable[dict], base_url: str = "") -> Iterator[str]:
    """The collection, then its pages; one page of look-ahead, so next links are known."""
    collection_id = f"{base_url}/exports/w3c"

    def annotations():
        for post in posts:
            for claim in post["claims"]:
                anno = annotation(claim, base_url)
                if anno is not None:
                    yield anno

    def pages():
        page = []
        for anno in annotations():
            page.append(anno)
            if len(page) == PAGE_SIZE:
                yield page
                page = []
        if page:
            yield page

    collection = {"@context": CONTEXT, "id": collection_id, "type": "AnnotationCollection",
                  "label": "Claims from the fact-check workbench"}
    it = pages()
    current = next(it, None)
    if current is None:
        yield _dumps(collection | {"total": 0})
        return
    yield _dumps(collection | {"first": f"{collection_id}#page-1"})
    number, start = 1, 0
    while current is not None:
        following = next(it, None)
        page = {"@context": CONTEXT, "id": f"{collection_id}#page-{number}", "type": "AnnotationPage",
                "partOf": {"id": collection_id, "type": "AnnotationCollection"}, "startIndex": start}
        if number > 1:
            page["prev"] = f"{collection_id}#page-{number - 1}"
        if following is not None:
            page["next"] = f"{collection_id}#page-{number + 1}"
        page["items"] = current
        yield _dumps(page)
        start += len(current)
        number += 1
        current = following
