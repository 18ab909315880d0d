"""Output shapes for posts and comments, shared by the API, the pages' JSON and the exports."""
import json
import re
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher

from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from ..annotations.status import Status, derive
from ..permissions import Permission, can
from .models import Comment


def post_summary(post) -> dict:
    return {"id": post.id, "slug": post.slug, "date": post.date.isoformat(), "title": post.title,
            "comment_count": post.comment_count,
            "declared_comment_count": post.declared_comment_count}


def comment_json(c) -> dict:
    return {"id": c.id, "path": c.path, "parent_id": c.parent_id, "text": c.text}


def post_detail(post, comments) -> dict:
    return {**post_summary(post), "body": post.body, "comments": [comment_json(c) for c in comments]}


def thread(comments) -> list[tuple]:
    """The comments (objects or rows with id, parent_id, path, depth, text) in page order, each
    reply under its parent, as (id, anchor, path, depth, text, replies, closes): replies is the
    number of direct replies; closes, for a comment without replies, is the markup that ends it
    and every list of replies that ends with it. The template prints the tree in one flat loop
    of plain values: a recursive macro call per comment cost more than the text itself."""
    children: dict = {}
    for c in comments:
        children.setdefault(c.parent_id, []).append(c)
    order: list[tuple] = []                # (comment, nesting level), depth first
    todo = [(c, 0) for c in reversed(children.get(None, ()))]
    while todo:
        c, level = todo.pop()
        order.append((c, level))
        todo.extend((r, level + 1) for r in reversed(children.get(c.id, ())))
    anchor = Comment.anchor.fget
    out = []
    for i, (c, level) in enumerate(order):
        replies = len(children.get(c.id, ()))
        if replies:
            closes = None
        else:
            following = order[i + 1][1] if i + 1 < len(order) else 0
            closes = Markup("</li>" + "</ol></li>" * (level - following))
        out.append((c.id, anchor(c), c.path, c.depth, c.text, replies, closes))
    return out


# --- the reading page's claims ---------------------------------------------------------------
# The page paints a thousand highlights and lists the claims beside the text, so it embeds its
# own narrow payload: what the highlights, the side panel, the hover card and the detail box show
# (static/js/annotate.js), nothing more. A claim saved or edited on the page comes back from the
# API in the full shape (annotations.presenters.claim_json), a superset of this one.

STATUS_LABELS = {"no_verdict": "no verdict yet", "agreed": "verdicts agree", "disputed": "disputed",
                 "adjudicated": "adjudicated", "blind": "verdicts hidden"}


def reading_claims(rows, post_id: int, viewer, blind_on: bool) -> list[dict]:
    """The claims of queries.reading_claims as the page's JSON, in reading order (first
    appearance on this post: the body, then the thread). Blind review as in
    annotations.presenters.claim_json: until a reviewer has given their own verdict, a claim
    that is not adjudicated shows how many verdicts there are, not what they say.

    Rows are unpacked as tuples: attribute access on a thousand rows was half of this function."""
    viewer = getattr(viewer, "_get_current_object", lambda: viewer)()
    viewer_id = getattr(viewer, "id", None)
    sees_all = viewer is not None and can(viewer, Permission.SEE_ALL_VERDICTS)
    claims: dict[int, dict] = {}
    first_seen: dict[int, tuple] = {}
    for claim_id, span_post, comment_id, start, end, path, position, statement, category in rows.spans:
        c = claims.get(claim_id)
        if c is None:
            c = claims[claim_id] = {"id": claim_id, "statement": statement, "category": category,
                                    "spans": [], "sources": []}
        c["spans"].append({"post_id": span_post, "comment_id": comment_id, "comment_path": path,
                           "start": start, "end": end})
        if span_post == post_id:
            key = (-1 if position is None else position, start)
            seen = first_seen.get(claim_id)
            if seen is None or key < seen:
                first_seen[claim_id] = key
    for row in rows.sources:
        claim_id, url, title, stance, retracted, _ = row
        c = claims.get(claim_id)
        if c is None:
            # On PostgreSQL (READ COMMITTED) each query sees the data as it is when it starts: a
            # claim saved between the spans query and this one has sources but no spans here.
            # It is left out, as if the page had been read a moment earlier (it was a 500).
            continue
        # A retracted source stays visible to those who may restore it (a lead, or its author).
        if not retracted or (viewer is not None and can(viewer, Permission.EDIT_ANY_CLAIM, row)):
            c["sources"].append({"url": url, "title": title, "stance": stance})
    verdicts: dict[int, list] = {}
    for claim_id, reviewer_id, rating in rows.verdicts:
        verdicts.setdefault(claim_id, []).append((reviewer_id, rating))
    flags, adjudications = rows.open_flags, rows.adjudications
    AGREED_OR_DISPUTED = (Status.AGREED, Status.DISPUTED)
    for claim_id, c in claims.items():
        given = verdicts.get(claim_id, ())
        ratings = [rating for _, rating in given]
        adjudication = adjudications.get(claim_id)
        status = derive(ratings, flags.get(claim_id, 0), adjudication is not None)
        blind = (blind_on and viewer is not None and not sees_all and adjudication is None
                 and not any(reviewer_id == viewer_id for reviewer_id, _ in given))
        c["status"] = "blind" if blind and status in AGREED_OR_DISPUTED else status.value
        c["verdict_count"] = len(given)
        c["verdicts_hidden"] = blind
        c["verdicts"] = [] if blind else [{"rating": rating} for rating in ratings]
        c["adjudication"] = None if adjudication is None else {"rating": adjudication}
    return [claims[cid] for cid in sorted(claims, key=lambda cid: (first_seen[cid], cid))]


def verdict_summary(c: dict) -> str:
    """One line under a claim in the side panel (annotate.js: verdictSummary)."""
    if c["adjudication"]:
        return "final: " + c["adjudication"]["rating"].replace("_", " ")
    if c["verdicts_hidden"]:
        n = c["verdict_count"]
        return f"{n} verdict{'' if n == 1 else 's'}, hidden until you give yours"
    if c["verdicts"]:
        return ", ".join(v["rating"].replace("_", " ") for v in c["verdicts"])
    return "no verdict yet"


def claim_where(c: dict) -> str:
    """Where the claim's first appearance is (annotate.js: where)."""
    path = c["spans"][0]["comment_path"] if c["spans"] else None
    return f"comment {path}" if path else "post"


def panel_html(claims: list[dict], claim_url: str) -> Markup:
    """The side panel's items, the same markup as annotate.js buildItem() makes, spaces between
    the spans included (the script adopts them when they match its payload and rebuilds them only
    after a change; without it they are the list). Built here rather than by a
    template loop: for a thousand claims Jinja made about 20,000 escape calls and output chunks.
    The statement and where are escaped; ids, statuses, their labels and ratings are ours."""
    url = escape(claim_url)
    return Markup("\n".join([
        f'<li class="claim-item" data-claim-id="{c["id"]}" data-status="{c["status"]}">'
        f'<a class="claim-link" href="{url}{c["id"]}" data-claim-id="{c["id"]}">'
        f'<span class="status-badge s-{c["status"]}">{STATUS_LABELS[c["status"]]}</span> '
        f'<span class="where">{escape(claim_where(c))}</span> '
        f'<span class="statement">{escape(c["statement"])}</span> '
        f'<span class="verdicts">{escape(verdict_summary(c))}</span></a></li>' for c in claims]))


def claims_json(claims: list[dict]) -> Markup:
    """The payload for <script type="application/json">: compact, with <, >, & and ' escaped so
    that no text can close the script element. The standard encoder, unsorted: Flask's tojson
    sorts every object's keys, which costs three times as much for a megabyte."""
    return htmlsafe_json_dumps(claims, dumps=json.dumps, separators=(",", ":"))


# --- corrected texts on the reading page ------------------------------------------------------
# A re-import with --accept-changes replaces a stored text and keeps the old one in the audit
# log (corpus.services._correct). The page says so beside the text, never inside it: the text
# element holds exactly the stored characters, whose offsets the claim spans point at.

DIFF_CONTEXT = 12        # unchanged words kept either side of a change
DIFF_MIN_SKIP = 8        # fewer unchanged words than this are shown rather than elided
SHORT_TEXT_WORDS = 120   # an earlier text up to this long is shown whole; a longer one on request
_WORD = re.compile(r"\S+\s*")
_SOURCE = re.compile(r"re-importing (.+)$")


@dataclass
class EarlierVersion:
    """One replaced text (or title) of a unit, with when it was replaced and by what."""
    field: str            # "text" | "title"
    replaced_at: datetime
    source: str           # the file named in the audit reason (or the reason itself)
    by: str | None        # who corrected (an admin on the Import page); None: the command line
    text: str             # the earlier text, as stored then
    diff: Markup          # the earlier text against the current one, word by word, escaped
    words: int
    same_words: bool      # only spacing or line breaks changed

    @property
    def shown_whole(self) -> bool:
        """A title or a short text is shown whole; a long one behind its own disclosure."""
        return self.field == "title" or self.words <= SHORT_TEXT_WORDS


@dataclass
class Corrections:
    """What the page shows of a corrected unit: the latest correction and every earlier
    version, newest first."""
    latest: datetime
    source: str
    fields: list[str]     # which fields changed at some point, for the post: "title", "text"
    versions: list[EarlierVersion]


def corrections(rows, post, comments) -> dict:
    """The rows of queries.reading_corrections as {"post" or a comment id: Corrections}. Each
    earlier version is compared with the current text (what the reader sees now)."""
    if not rows:
        return {}
    wanted = {entity_id for entity_type, entity_id, *_ in rows if entity_type == "comment"}
    current = {c[0]: c[4] for c in comments if c[0] in wanted}   # id, parent_id, path, depth, text
    out: dict = {}
    for entity_type, entity_id, action, at, before, reason, _, by in rows:   # newest first
        key = "post" if entity_type == "post" else entity_id
        field = "title" if action == "correct_title" else "text"
        if key == "post":
            now = post.title if field == "title" else post.body
        elif entity_id in current:
            now = current[entity_id]
        else:   # not on this post (the query takes this post's comments only)
            continue
        try:
            earlier = json.loads(before or "{}")[field]
        except (ValueError, KeyError, TypeError):
            continue   # an event without its text tells the reader nothing to compare
        if not isinstance(earlier, str):
            continue
        source = _source(reason)
        diff, same = word_diff(earlier, now, elide=field == "text")
        version = EarlierVersion(field, at, source, by, earlier, diff, len(_WORD.findall(earlier)), same)
        unit = out.get(key)
        if unit is None:
            unit = out[key] = Corrections(at, source, [], [])
        if field not in unit.fields:
            unit.fields.append(field)
        unit.versions.append(version)
    for unit in out.values():
        unit.fields.sort(key=("title", "text").index)
    return out


def _source(reason: str | None) -> str:
    m = _SOURCE.search(reason or "")
    return m.group(1) if m else (reason or "")


def _run(tokens: list[str]) -> tuple[str, str]:
    """A run of words as (the words, the whitespace after the last one)."""
    joined = "".join(tokens)
    words = joined.rstrip()
    return words, joined[len(words):]


def word_diff(old: str, new: str, elide: bool = True) -> tuple[Markup, bool]:
    """The words of `old` against those of `new` (difflib on whole words; spacing and line breaks
    are not differences): deleted words in <del>, inserted ones in <ins>, each with a hidden
    label for screen readers; unchanged stretches longer than twice DIFF_CONTEXT words are
    elided when `elide`. Every word is escaped. Also says whether the words are all the same."""
    a, b = _WORD.findall(old), _WORD.findall(new)
    ops = _word_opcodes(a, b)
    out: list[str] = []
    for n, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            out.append(_equal(b[j1:j2], head=n > 0, tail=n < len(ops) - 1, elide=elide))
            continue
        if i1 < i2:
            words, space = _run(a[i1:i2])
            out.append(f'<del><span class="sr-only">removed: </span>{escape(words)}</del>'
                       f'{" " if j1 < j2 else escape(space)}')
        if j1 < j2:
            words, space = _run(b[j1:j2])
            out.append(f'<ins><span class="sr-only">added: </span>{escape(words)}</ins>{escape(space)}')
    return Markup("".join(out)), all(op[0] == "equal" for op in ops)


DIFF_BUDGET = 1_000_000   # words x words that difflib compares in one stretch (20-30 ms at most)


def _word_opcodes(a_tokens: list[str], b_tokens: list[str]) -> list[tuple]:
    """difflib's opcodes for two lists of words (each with the space after it), in bounded
    time: the common start and end are set aside, the rest is compared paragraph by paragraph
    and word by word only inside the paragraphs that differ (difflib on the words alone took
    1.3 s for 10,000 words). A differing stretch still beyond DIFF_BUDGET is shown replaced
    whole. Neighbouring runs of the same kind are merged."""
    a, b = [w.rstrip() for w in a_tokens], [w.rstrip() for w in b_tokens]
    ops: list[tuple] = []

    def add(tag, i1, i2, j1, j2):   # "equal" or "replace" (the page shows any change the same way)
        if i1 == i2 and j1 == j2:
            return
        same = tag == "equal"
        if ops and (ops[-1][0] == "equal") == same:
            ops[-1] = (ops[-1][0], ops[-1][1], i2, ops[-1][3], j2)
        else:
            ops.append(("equal" if same else "replace", i1, i2, j1, j2))

    def words(i1, i2, j1, j2):
        if (i2 - i1) * (j2 - j1) > DIFF_BUDGET:
            add("replace", i1, i2, j1, j2)
            return
        for tag, x1, x2, y1, y2 in SequenceMatcher(None, a[i1:i2], b[j1:j2], autojunk=False).get_opcodes():
            add(tag, i1 + x1, i1 + x2, j1 + y1, j1 + y2)

    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    add("equal", 0, start, 0, start)
    pa, pb = _paragraphs(a_tokens, start, len(a) - end), _paragraphs(b_tokens, start, len(b) - end)
    at = lambda ps, p, stop: ps[p][0] if p < len(ps) else stop  # noqa: E731  (a paragraph's first word)
    matcher = SequenceMatcher(None, [tuple(a[x:y]) for x, y in pa], [tuple(b[x:y]) for x, y in pb], autojunk=False)
    for tag, p1, p2, q1, q2 in matcher.get_opcodes():
        i1, i2 = at(pa, p1, len(a) - end), at(pa, p2, len(a) - end)
        j1, j2 = at(pb, q1, len(b) - end), at(pb, q2, len(b) - end)
        if tag == "equal":
            add("equal", i1, i2, j1, j2)
        else:
            words(i1, i2, j1, j2)
    add("equal", len(a) - end, len(a), len(b) - end, len(b))
    return ops


def _paragraphs(tokens: list[str], start: int, stop: int) -> list[tuple[int, int]]:
    """The (first, past the last) word of each line between start and stop."""
    out, first = [], start
    for i in range(start, stop):
        if "\n" in tokens[i]:
            out.append((first, i + 1))
            first = i + 1
    if first < stop:
        out.append((first, stop))
    return out


def _equal(tokens: list[str], head: bool, tail: bool, elide: bool) -> str:
    """Unchanged words: whole, or (when long) the DIFF_CONTEXT words next to each change and a
    note of how many are left out. head: a change comes before; tail: a change comes after."""
    keep_head, keep_tail = DIFF_CONTEXT if head else 0, DIFF_CONTEXT if tail else 0
    skipped = len(tokens) - keep_head - keep_tail
    if not elide or skipped < DIFF_MIN_SKIP:
        return str(escape("".join(tokens)))
    before = "".join(tokens[:keep_head])
    after = "".join(tokens[len(tokens) - keep_tail:]) if keep_tail else ""
    note = f'<span class="diff-skip">[… {skipped:,} unchanged words …]</span>'
    return f"{escape(before)}{note}{' ' if keep_tail else ''}{escape(after)}"
