"""The native format: JSON Lines, one post per line, described by workbench/schemas/native-export.schema.json."""
import json
from typing import Iterable, Iterator

MEDIA_TYPE = "application/x-ndjson"
EXTENSION = "jsonl"
# What this format writes beyond the claims (services.export tells the loader): the thread, the
# discussion and the history; no "_" keys, so the records need no second pass to strip them.
NEEDS = frozenset({"thread", "discussion", "history"})
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def public(value):
    """The record without the "_" keys (database ids, which mean nothing in another workbench)."""
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [public(v) for v in value]
    return value


def dumps(record: dict) -> str:
    return json.dumps(public(record), ensure_ascii=False, separators=(",", ":")) + "\n"


def write(posts: Iterable[dict], base_url: str = "") -> Iterator[str]:
    for post in posts:
        # records read without private keys are written as they are; any others are stripped
        yield dumps(post) if "_id" in post else _encode(post) + "\n"
