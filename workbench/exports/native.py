"""The native format: JSON Lines, one post per line, described by workbench/schemas/native-export.schema.json."""
import json
from typing import Iterable, Iterator

MEDIA_TYPE = "application/x-ndjson"
EXTENSION = "jsonl"
# What this format writes beyond the claims (services.export tells the loader): the thread, the
# discussion, the history and the review tasks; no "_" keys, so the records need no second pass
# to strip them.
NEEDS = frozenset({"thread", "discussion", "history", "tasks"})
CLAIMS_PER_PIECE = 32
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_TAIL = '"comments":[],"claims":[]}'


def public(value):
    """The record without the "_" keys (database ids, which mean nothing in another workbench)."""
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [public(v) for v in value]
    return value


def dumps(record: dict) -> str:
    return json.dumps(public(record), ensure_ascii=False, separators=(",", ":")) + "\n"


def _encode_public(value) -> str:
    return _encode(public(value))


def write(posts: Iterable[dict], base_url: str = "") -> Iterator[str]:
    """Each post's line in pieces: its fields and thread, then its claims CLAIMS_PER_PIECE at a
    time (the loader may hand them over as they are read, see loader.iter_posts). No string
    grows with a post's claims, so memory stays flat; the bytes are those of dumps(post)."""
    for post in posts:
        # records read without private keys are written as they are; any others are stripped
        encode = _encode if "_id" not in post else _encode_public
        # "comments" and "claims" are a record's last public keys: the line is the record
        # with both lists empty, opened up, and the lists written into it.
        head = encode(dict(post, comments=[], claims=[]))
        if not head.endswith(_TAIL):
            raise ValueError("a native record must end with its comments and claims")
        yield head[:-len(_TAIL)] + '"comments":' + encode(post["comments"]) + ',"claims":['
        sep, piece = "", []
        for claim in post["claims"]:
            piece.append(claim)
            if len(piece) == CLAIMS_PER_PIECE:
                yield sep + encode(piece)[1:-1]
                sep, piece = ",", []
        yield (sep + encode(piece)[1:-1] if piece else "") + "]}\n"
