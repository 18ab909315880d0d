"""W3C Web Annotation export: every MUST assertion of the official test material, selectors on emoji, pages."""
import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from sqlalchemy import select

from tests.unit.exports.builders import body
from workbench.annotations import services
from workbench.corpus.models import Comment, Post
from workbench.exports import w3c
from workbench.exports.filters import ExportOptions
from workbench.exports.services import export

W3C = Path(__file__).resolve().parents[2] / "data" / "w3c"
EMOJI_POST = ("Monday 22 October 2018\n\nEmoji test\n\nCRCs 🏴󠁧󠁢󠁥󠁮󠁧󠁿 were forecasting losses of nearly £300 million.\n\n"
              "1 comment:\n\n  1. Top 👍🏽 comment\n\n    ReplyDelete\n    Replies\n"
              "    1. 😀 Great: 19 of 21 👍🏽 companies failed to meet their reoffending targets.\n\n      Delete\n")


def _registry() -> Registry:
    resources = []
    for path in W3C.rglob("*.json"):
        contents = json.loads(path.read_text("utf-8"))
        resources.append((contents.get("id", path.name), Resource.from_contents(contents, default_specification=DRAFT4)))
    return Registry().with_resources(resources)


def musts(test_file: str) -> list[tuple[str, Draft4Validator]]:
    """The assertions a W3C MUST test lists, each a draft-4 schema that a conforming document satisfies."""
    registry = _registry()
    test = json.loads((W3C / test_file).read_text("utf-8"))
    out = []
    for name in test["assertions"]:
        schema = json.loads((W3C / name).read_text("utf-8"))
        assert schema["expectedResult"] == "valid"
        out.append((name, Draft4Validator(schema, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)))
    return out


def failures(doc: dict, test_file: str) -> list[str]:
    return [name for name, v in musts(test_file) if not v.is_valid(doc)]


def export_lines(base="https://wb.example/") -> list[dict]:
    return [json.loads(line) for line in "".join(export(None, "w3c", ExportOptions(), base=base)).splitlines()]


def test_annotations_collection_and_pages_pass_every_must_assertion(annotated):
    docs = export_lines()
    collection, pages = docs[0], docs[1:]
    assert collection["type"] == "AnnotationCollection" and collection["first"] == pages[0]["id"]
    assert failures(collection, "collections/collectionMusts.test") == []
    items = [a for p in pages for a in p["items"]]
    assert len(items) == 3        # the retracted claim is not exported
    for page in pages:
        assert failures(page, "collections/pages/pageMusts.test") == []
    for anno in items:
        assert failures(anno, "annotations/annotationMusts.test") == [], anno
    by_text = {next(b["value"] for b in a["body"] if b["purpose"] == "describing"): a for a in items}
    disputed = by_text["A disputed claim"]
    purposes = [b["purpose"] for b in disputed["body"]]
    assert purposes.count("assessing") == 2 and purposes.count("linking") == 2 and "tagging" in purposes
    assert disputed["creator"] == {"type": "Person", "nickname": "rita"}
    assert disputed["id"].startswith("https://wb.example/api/v1/claims/")
    assessing = [b for b in by_text["A claim in a comment"]["body"] if b["purpose"] == "assessing"]
    assert [(b["value"], b["creator"]["nickname"]) for b in assessing] == [("false", "lena")]   # the final verdict
    target = by_text["A claim in a comment"]["target"]
    assert "#c" in target["source"]
    assert isinstance(by_text["Seen twice"]["target"], list) and len(by_text["Seen twice"]["target"]) == 2


def test_the_harness_catches_a_broken_annotation(annotated):
    anno = export_lines()[1]["items"][0]
    broken = dict(anno)
    del broken["@context"]
    assert "annotations/3.1-annotationContextValidated.json" in failures(broken, "annotations/annotationMusts.test")
    both = dict(anno, bodyValue="x")
    assert failures(both, "annotations/annotationMusts.test")


def test_selectors_count_code_points_around_emoji(db, make_user, import_dumps):
    import_dumps({"e.txt": EMOJI_POST})
    post = db.session.scalar(select(Post))
    reply = db.session.scalar(select(Comment).where(Comment.path == "1.1"))
    user = make_user("reviewer", "emoji")
    services.create_claim(user, body(post, "were forecasting losses", "Losses", category="CRC finances"))
    services.create_claim(user, body(post, "19 of 21 👍🏽 companies", "Targets", comment=reply))
    db.session.commit()
    items = export_lines()[1]["items"]
    texts = {None: post.body, "1.1": reply.text}
    for anno in items:
        quote, position = anno["target"]["selector"]
        assert quote["type"] == "TextQuoteSelector" and position["type"] == "TextPositionSelector"
        text = texts["1.1" if anno["target"]["source"].endswith("#c1-1") else None]
        assert text[position["start"]:position["end"]] == quote["exact"]
        assert text[:position["start"]].endswith(quote["prefix"]) and text[position["end"]:].startswith(quote["suffix"])
        # code points, not UTF-16 units: count the emoji as Python (and the W3C model) does
        assert position["start"] == len(text[:text.index(quote["exact"])])
    reply_anno = next(a for a in items if a["target"]["source"].endswith("#c1-1"))
    assert reply_anno["target"]["selector"][1]["end"] - reply_anno["target"]["selector"][1]["start"] == \
        len("19 of 21 👍🏽 companies") == 21
    assert failures(reply_anno, "annotations/annotationMusts.test") == []


def test_large_exports_are_paged(annotated, monkeypatch):
    monkeypatch.setattr(w3c, "PAGE_SIZE", 2)
    docs = export_lines()
    pages = docs[1:]
    assert [len(p["items"]) for p in pages] == [2, 1]
    assert pages[0]["next"] == pages[1]["id"] and pages[1]["prev"] == pages[0]["id"]
    assert [p["startIndex"] for p in pages] == [0, 2]
    assert all(p["partOf"]["id"] == docs[0]["id"] for p in pages)
    for page in pages:
        assert failures(page, "collections/pages/pageMusts.test") == []


def test_an_empty_export_is_an_empty_collection(app):
    docs = export_lines()
    assert docs == [{"@context": "http://www.w3.org/ns/anno.jsonld", "id": "https://wb.example/exports/w3c",
                     "type": "AnnotationCollection", "label": "Claims from the fact-check workbench", "total": 0}]
    assert failures(docs[0], "collections/collectionMusts.test") == []
