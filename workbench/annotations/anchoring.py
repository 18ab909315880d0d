"""Moving spans to their words when a stored text is corrected (a re-import with --accept-changes).

A span is its offsets plus its exact quote with context (spans.py). When the text of a post
body or a comment is replaced by a corrected version, each span on it is looked for in the new
text, and the text is replaced only if every one of them is found without doubt; otherwise
nothing changes and the reasons are reported. So a claim never ends up on other words than the
ones it quotes (Hypothesis' complaint: notes silently re-attached to the wrong words), and no
claim is left without its words (an orphan).

Finding the words, in order of confidence:
1. The edit did not touch them: they lie in the text the old and new versions share at the
   start, or at the end. Their offsets move by the length difference (or not at all).
2. The quote occurs exactly once in the new text.
3. It occurs several times: the occurrence whose surrounding text agrees best with the stored
   prefix and suffix, if one agrees better than all the others.
Anything else (the words are gone, or several places fit equally) is a reason, not a guess.
"""
from dataclasses import dataclass

from sqlalchemy import select, update

from .. import audit
from ..extensions import db
from .models import ClaimSpan
from .spans import context_of


@dataclass
class Move:
    span_id: int
    claim_id: int
    comment_id: int | None
    start: int
    end: int
    new_start: int
    prefix: str
    suffix: str

    @property
    def moved(self) -> bool:
        return self.new_start != self.start


def _shared_ends(old: str, new: str) -> tuple[int, int]:
    """Lengths of the longest common start and (not overlapping it) common end."""
    limit = min(len(old), len(new))
    head = 0
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return head, tail


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def relocate(old: str, new: str, start: int, end: int, exact: str, prefix: str, suffix: str) -> int | str:
    """The start of the span's words in the new text, or why they cannot be found for sure."""
    head, tail = _shared_ends(old, new)
    if end <= head:                         # before the edit
        return start
    if start >= len(old) - tail:            # after the edit
        return start + len(new) - len(old)
    found, at = [], new.find(exact)
    while at >= 0:
        found.append(at)
        at = new.find(exact, at + 1)
    if not found:
        return "its words are not in the corrected text"
    if len(found) == 1:
        return found[0]
    scores = sorted(((_common_suffix(new[max(0, i - len(prefix)):i], prefix)
                      + _common_prefix(new[i + len(exact):i + len(exact) + len(suffix)], suffix), i)
                     for i in found), reverse=True)
    if scores[0][0] > scores[1][0]:
        return scores[0][1]
    return f"its words occur {len(found)} times in the corrected text and their context does not tell which"


def plan(post_id: int, changed: dict[int | None, tuple[str, str]], describe) -> tuple[list[Move], list[str]]:
    """Where every span on the changed units goes. changed: comment id (None for the post body)
    -> (old text, new text); describe(comment_id) names the unit in messages. Returns the moves
    and the problems (one line per span that cannot be placed); apply the moves only if there
    are no problems. Retracted claims' spans count too: a claim restored later needs its words."""
    if not changed:
        return [], []
    spans = db.session.execute(
        select(ClaimSpan.id, ClaimSpan.claim_id, ClaimSpan.comment_id, ClaimSpan.start, ClaimSpan.end,
               ClaimSpan.exact, ClaimSpan.prefix, ClaimSpan.suffix)
        .where(ClaimSpan.post_id == post_id).order_by(ClaimSpan.id)).all()
    moves, problems = [], []
    for s in spans:
        if s.comment_id not in changed:
            continue
        old, new = changed[s.comment_id]
        where = relocate(old, new, s.start, s.end, s.exact, s.prefix or "", s.suffix or "")
        if isinstance(where, str):
            quote = s.exact if len(s.exact) <= 60 else s.exact[:57] + "…"
            problems.append(f"claim {s.claim_id} in {describe(s.comment_id)} ({quote!r}): {where}")
            continue
        before, after = context_of(new, where, where + len(s.exact))
        moves.append(Move(s.id, s.claim_id, s.comment_id, s.start, s.end, where, before, after))
    return moves, problems


def apply(moves: list[Move], reason: str, actor=None) -> None:
    """Write the moves (offsets and context) and one history event per span that moved."""
    if not moves:
        return
    db.session.execute(update(ClaimSpan), [
        {"id": m.span_id, "start": m.new_start, "end": m.new_start + (m.end - m.start),
         "prefix": m.prefix, "suffix": m.suffix} for m in moves])
    for m in moves:
        if m.moved:
            audit.record(actor, "span", m.span_id, "reanchor", claim_id=m.claim_id, reason=reason,
                         before={"comment_id": m.comment_id, "start": m.start, "end": m.end},
                         after={"comment_id": m.comment_id, "start": m.new_start,
                                "end": m.new_start + (m.end - m.start)})


def move_dismissals(post_id: int, changed: dict[int | None, tuple[str, str]]) -> None:
    """Dismissed suggestions follow their words too where they can be found; the others stay
    where they were (at worst a dismissed suggestion shows again)."""
    from ..search.models import SuggestionDismissal
    rows = db.session.execute(select(SuggestionDismissal.id, SuggestionDismissal.comment_id,
                                     SuggestionDismissal.start, SuggestionDismissal.end,
                                     SuggestionDismissal.exact)
                              .where(SuggestionDismissal.post_id == post_id)).all()
    updates = []
    for r in rows:
        if r.comment_id in changed:
            old, new = changed[r.comment_id]
            where = relocate(old, new, r.start, r.end, r.exact, *context_of(old, r.start, r.end))
            if isinstance(where, int) and where != r.start:
                updates.append({"id": r.id, "start": where, "end": where + (r.end - r.start)})
    if updates:
        db.session.execute(update(SuggestionDismissal), updates)
