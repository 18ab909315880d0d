"""Output shapes for posts and comments, shared by the API, the pages' JSON and the exports."""
import json

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
