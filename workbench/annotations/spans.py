"""Span anchoring: a span points at its words or it is refused.

Offsets are Unicode code points into one text unit (a post body or one comment), as the
W3C TextPositionSelector; the quote with up to 32 characters either side is the
TextQuoteSelector. Python strings index by code point, so text[start:end] is the quote.
"""
from ..errors import InvalidSpan, NotFound
from ..extensions import db
from ..corpus.models import Comment, Post

CONTEXT = 32


def unit_text(post_id: int, comment_id: int | None) -> str:
    if comment_id is None:
        body = db.session.get(Post, post_id)
        if body is None:
            raise NotFound(f"No post {post_id}.", field="post_id")
        return body.body
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.post_id != post_id:
        raise NotFound(f"Post {post_id} has no comment {comment_id}.", field="comment_id")
    return comment.text


def context_of(text: str, start: int, end: int) -> tuple[str, str]:
    return text[max(0, start - CONTEXT):start], text[end:end + CONTEXT]


def check_span(text: str, start: int, end: int, exact: str, prefix: str | None = None,
               suffix: str | None = None) -> tuple[str, str]:
    """Refuse a span that does not point at its words; return the canonical prefix and suffix."""
    if start < 0 or end > len(text):
        raise InvalidSpan(f"The span [{start}, {end}) falls outside the text, which has {len(text)} "
                          "characters (code points).", field="start" if start < 0 else "end")
    if end <= start:
        raise InvalidSpan("A span needs end greater than start.", field="end")
    actual = text[start:end]
    if actual != exact:
        found = text.find(exact)
        hint = f" The quote occurs at [{found}, {found + len(exact)})." if found >= 0 else ""
        raise InvalidSpan(f"The quote does not match the text at [{start}, {end}): the text there is "
                          f"{actual[:80]!r}.{hint} Offsets count Unicode code points, not UTF-16 units.",
                          field="exact")
    before, after = context_of(text, start, end)
    if prefix and not before.endswith(prefix[-CONTEXT:]):
        raise InvalidSpan("The prefix does not match the text before the span.", field="prefix")
    if suffix and not after.startswith(suffix[:CONTEXT]):
        raise InvalidSpan("The suffix does not match the text after the span.", field="suffix")
    return before, after
