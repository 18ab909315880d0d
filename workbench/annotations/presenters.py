"""Claim output shapes: one presenter for the API, the reading page's JSON and the exports.

Blind review lives here too: until a reviewer has given their own verdict on a claim, the
other reviewers' verdicts (and whether they agree) are withheld from them.
"""
import json
from collections import defaultdict
from json.encoder import encode_basestring_ascii as _esc
from types import SimpleNamespace

from sqlalchemy import DateTime, String, or_, select, type_coerce

from ..corpus.models import Comment
from ..db import isoformat
from ..extensions import db
from ..permissions import Permission, can
from ..review.models import Adjudication, Flag
from ..settings import get_flag
from .models import Category, Claim, ClaimSpan, Source, Verdict
from .status import Status, derive, review_state


def user_json(user) -> dict | None:
    """A user, from a User or a row with id, username and display_name."""
    if user is None:
        return None
    return {"id": user.id, "name": user.display_name or user.username, "username": user.username}


def span_json(span: ClaimSpan, comment_path: str | None) -> dict:
    return {"id": span.id, "post_id": span.post_id, "comment_id": span.comment_id,
            "comment_path": comment_path, "start": span.start, "end": span.end, "exact": span.exact,
            "prefix": span.prefix, "suffix": span.suffix, "created_at": isoformat(span.created_at)}


def source_json(s, people: dict | None = None) -> dict:
    return {"id": s.id, "url": s.url, "title": s.title, "publisher": s.publisher, "quote": s.quote,
            "locator": s.locator, "stance": s.stance.value,
            "accessed": s.accessed.isoformat() if s.accessed else None,
            "created_by": user_json(people.get(s.created_by_id) if people is not None else s.created_by),
            "created_at": isoformat(s.created_at), "retracted": s.retracted_at is not None}


def verdict_json(v, people: dict | None = None) -> dict:
    reviewer = people[v.reviewer_id] if people and v.reviewer_id in people else v.reviewer
    return {"id": v.id, "reviewer": user_json(reviewer), "rating": v.rating.value,
            "rationale": v.rationale, "created_at": isoformat(v.created_at)}


def load_claims(claim_ids: list[int], viewer) -> list[dict]:
    """Many claims in a fixed number of queries, in the order of claim_ids: the claims as the
    API sends them (claims_text), parsed, so the pages and the API cannot drift apart."""
    if not claim_ids:
        return []
    built, _ = _build(list(claim_ids), viewer)
    return json.loads("[" + ",".join(built[cid] for cid in claim_ids if cid in built) + "]")


def post_claims_text(post_id: int, viewer, include_retracted: bool = False) -> list[str]:
    """GET /posts/<id>/claims: the claims with a live appearance on the post, in reading order
    (first appearance on the post: the body, then the thread; ties by claim id),
    each as claim JSON text. The claims are matched by a subquery rather than a list of a
    thousand ids, and the reading order comes from the span rows the answer lists anyway."""
    on_post = select(ClaimSpan.claim_id).where(ClaimSpan.post_id == post_id, ClaimSpan.retracted_at.is_(None))
    if not include_retracted:
        on_post = select(Claim.id).where(Claim.id.in_(on_post), Claim.retracted_at.is_(None))
    elif not can(viewer, Permission.EDIT_ANY_CLAIM):
        # A retracted claim is listed only to those who may see it alone (GET /claims/<id>) and
        # restore it: its author, and the roles that edit any claim.
        on_post = select(Claim.id).where(Claim.id.in_(on_post), or_(
            Claim.retracted_at.is_(None), Claim.created_by_id == getattr(viewer, "id", None)))
    built, first = _build(on_post, viewer, order_post=post_id)
    return [built[cid] for cid in sorted(first, key=lambda cid: (first[cid], cid)) if cid in built]


def claim_text(claim: Claim, viewer) -> str:
    """One claim as JSON text, the bytes GET /claims/<id> sends, from the ORM object the caller
    already holds (read for a permission check, or just written and flushed) instead of reading
    the claim row again: the answer of GET, PATCH, retract, restore, PUT verdict and a new span.
    Call it before the commit, which expires the object."""
    return _build([claim.id], viewer, known=claim)[0][claim.id]


_CLAIM_COLUMNS = (Claim.id, Claim.version, Claim.post_id, Claim.statement, Category.name, Claim.created_by_id,
                  type_coerce(Claim.created_at, String), type_coerce(Claim.updated_at, String),
                  type_coerce(Claim.retracted_at, String), Claim.retract_reason)
_AGREED_OR_DISPUTED = (Status.AGREED, Status.DISPUTED)


_STATUS_TEXT = {s: s.value for s in Status}


def _iso(value) -> str:
    """db.isoformat as a JSON string (or null), for the naive datetimes these columns hold:
    isoformat() always starts with the date and the time to the second (YYYY-MM-DDTHH:MM:SS, the
    year zero-padded), and its timespec keyword alone cost more than the rest."""
    return "null" if value is None else f'"{value.isoformat()[:19]}Z"'


def _iso_function(dialect):
    """_iso for the timestamps _build reads as they come from the driver (_ts): datetimes from
    PostgreSQL; from SQLite the stored text, which SQLAlchemy writes as 'YYYY-MM-DD HH:MM:SS.ffffff',
    so the answer is cut from the text instead of parsing it into a datetime and formatting that
    (most of the cost of a thousand claims' timestamps). Any other text is parsed as SQLAlchemy
    would have parsed it."""
    if dialect.name != "sqlite":
        return _iso
    parse = DateTime().dialect_impl(dialect).result_processor(dialect, None)

    def iso_stored(value) -> str:
        if value is None:
            return "null"
        if type(value) is str and len(value) in (19, 26) and value[10] == " ":
            return f'"{value[:10]}T{value[11:19]}Z"'
        return _iso(parse(value) if isinstance(value, str) else value)
    return iso_stored


def _ts(column):
    """A timestamp column as the driver gives it (see _iso_function)."""
    return type_coerce(column, String)


def _text(value) -> str:
    return "null" if value is None else _esc(value)


def _person(user) -> str:
    """user_json as JSON text."""
    return f'{{"id":{user.id},"name":{_esc(user.display_name or user.username)},"username":{_esc(user.username)}}}'


def _build(match, viewer, known: Claim | None = None, order_post: int | None = None):
    """The claims matched by `match` (a list of ids or a SELECT of them) as JSON text, {id: text},
    exactly the bytes jsonify(claim_json(…)) gives (compact, keys sorted, non-ASCII escaped), and,
    with order_post, each claim's first appearance on that post (for sorting).

    A post with 1,000 claims, 1,000 sources and 3,000 verdicts is answered in one request: ORM
    row handling, building a dict per row and then encoding (and key-sorting) every dict were
    most of its cost. So: Core rows on the session's connection unpacked as tuples, enums read as
    their stored strings, each person encoded once, and each object written straight as text
    with its keys in sorted order (strings escaped by the json module's own encoder). The rules
    are claim_json's (blind review, who sees retracted sources);
    tests/functional/test_claims_api_speed.py holds the bytes to the presenter as it was."""
    viewer = getattr(viewer, "_get_current_object", lambda: viewer)()  # no proxy on the hot path
    if db.session.autoflush:
        db.session.flush()  # as session.execute would: the caller's pending writes are read back
    conn = db.session.connection()
    if known is None:
        claim_rows = conn.execute(select(*_CLAIM_COLUMNS).join(Category, Category.id == Claim.category_id)
                                  .where(Claim.id.in_(match))).all()
        if not claim_rows:
            return {}, {}
    else:
        claim_rows = [(known.id, known.version, known.post_id, known.statement, known.category.name,
                       known.created_by_id, known.created_at, known.updated_at, known.retracted_at,
                       known.retract_reason)]
    span_rows = conn.execute(
        select(ClaimSpan.claim_id, ClaimSpan.comment_id, Comment.path, _ts(ClaimSpan.created_at), ClaimSpan.end,
               ClaimSpan.exact, ClaimSpan.id, ClaimSpan.post_id, ClaimSpan.prefix, ClaimSpan.start,
               ClaimSpan.suffix, Comment.position)
        .outerjoin(Comment, Comment.id == ClaimSpan.comment_id)
        .where(ClaimSpan.claim_id.in_(match), ClaimSpan.retracted_at.is_(None))
        .order_by(ClaimSpan.claim_id, ClaimSpan.id)).all()
    source_rows = conn.execute(
        select(Source.claim_id, Source.accessed, _ts(Source.created_at), Source.created_by_id, Source.id,
               Source.locator, Source.publisher, Source.quote, Source.retracted_at,
               type_coerce(Source.stance, String), Source.title, Source.url)
        .where(Source.claim_id.in_(match)).order_by(Source.claim_id, Source.id)).all()
    verdict_rows = conn.execute(
        select(Verdict.claim_id, _ts(Verdict.created_at), Verdict.id, type_coerce(Verdict.rating, String),
               Verdict.rationale, Verdict.reviewer_id)
        .where(Verdict.claim_id.in_(match), Verdict.superseded_at.is_(None))
        .order_by(Verdict.claim_id, Verdict.id)).all()
    flag_rows = conn.execute(
        select(Flag.claim_id, _ts(Flag.created_at), Flag.created_by_id, Flag.id, Flag.reason)
        .where(Flag.claim_id.in_(match), Flag.cleared_at.is_(None)).order_by(Flag.claim_id, Flag.id)).all()
    adjudication_rows = conn.execute(
        select(Adjudication.claim_id, _ts(Adjudication.created_at), Adjudication.id, Adjudication.lead_id,
               type_coerce(Adjudication.rating, String), Adjudication.reasoning)
        .where(Adjudication.claim_id.in_(match), Adjudication.reopened_at.is_(None))
        .order_by(Adjudication.claim_id, Adjudication.id)).all()

    # Every person named in the answer, encoded once (the viewer needs no query).
    wanted = {r[5] for r in claim_rows} | {r[3] for r in source_rows} | {r[5] for r in verdict_rows} \
        | {r[2] for r in flag_rows} | {r[3] for r in adjudication_rows}
    people: dict[int, str] = defaultdict(lambda: "null")  # user_json gives null for a missing user
    viewer_id = getattr(viewer, "id", None)
    if viewer_id in wanted:
        people[viewer_id] = _person(viewer)
    missing = wanted - people.keys()
    if missing:
        for u in _users(missing).values():
            people[u.id] = _person(u)
    iso = _iso_function(conn.dialect)
    esc, text = _esc, _text

    # Rows come ordered by claim, then id (the claim_id index gives that order without sorting);
    # each claim's own spans, sources, verdicts and flags are in id order, as the API lists them.
    # A row whose claim is not in claim_rows (saved between two queries of a transaction that
    # does not read one snapshot) is left out, as if read a moment earlier.
    spans: dict[int, list] = {r[0]: [] for r in claim_rows}
    first: dict[int, tuple] = {}
    for claim_id, comment_id, path, created_at, end, exact, span_id, post_id, prefix, start, suffix, position \
            in span_rows:
        into = spans.get(claim_id)
        if into is None:
            continue
        into.append(f'{{"comment_id":{"null" if comment_id is None else comment_id},"comment_path":{text(path)},'
                    f'"created_at":{iso(created_at)},"end":{end},"exact":{esc(exact)},"id":{span_id},'
                    f'"post_id":{post_id},"prefix":{esc(prefix)},"start":{start},"suffix":{esc(suffix)}}}')
        if post_id == order_post:
            key = (-1 if position is None else position, start)
            seen = first.get(claim_id)
            if seen is None or key < seen:
                first[claim_id] = key

    sources: dict[int, list] = {r[0]: [] for r in claim_rows}
    for row in source_rows:
        claim_id, accessed, created_at, created_by_id, source_id, locator, publisher, quote, retracted_at, stance, \
            title, url = row
        into = sources.get(claim_id)
        # A retracted source stays visible to those who may restore it (a lead, or its author).
        if into is not None and (retracted_at is None or can(viewer, Permission.EDIT_ANY_CLAIM, row)):
            into.append(f'{{"accessed":{"null" if not accessed else esc(accessed.isoformat())},'
                        f'"created_at":{iso(created_at)},"created_by":{people[created_by_id]},"id":{source_id},'
                        f'"locator":{esc(locator)},"publisher":{esc(publisher)},"quote":{esc(quote)},'
                        f'"retracted":{"false" if retracted_at is None else "true"},"stance":{esc(stance)},'
                        f'"title":{esc(title)},"url":{esc(url)}}}')

    verdicts: dict[int, list] = {}
    for row in verdict_rows:
        verdicts.setdefault(row[0], []).append(row)

    def verdict_text(row) -> str:   # only for the verdicts the viewer may see
        _, created_at, verdict_id, rating, rationale, reviewer_id = row
        return (f'{{"created_at":{iso(created_at)},"id":{verdict_id},"rating":{esc(rating)},'
                f'"rationale":{esc(rationale)},"reviewer":{people[reviewer_id]}}}')
    flags: dict[int, list] = {}
    for claim_id, created_at, created_by_id, flag_id, reason in flag_rows:
        flags.setdefault(claim_id, []).append(
            f'{{"created_at":{iso(created_at)},"created_by":{people[created_by_id]},"id":{flag_id},'
            f'"reason":{esc(reason)}}}')
    adjudications: dict[int, str] = {}
    for claim_id, created_at, adjudication_id, lead_id, rating, reasoning in adjudication_rows:
        adjudications[claim_id] = (f'{{"created_at":{iso(created_at)},"id":{adjudication_id},'
                                   f'"lead":{people[lead_id]},"rating":{esc(rating)},"reasoning":{esc(reasoning)}}}')

    sees_all = viewer is not None and can(viewer, Permission.SEE_ALL_VERDICTS)
    blind_on = None   # the setting is read only if some claim's answer depends on it
    out = {}
    for claim_id, version, post_id, statement, category, created_by_id, created_at, updated_at, retracted_at, \
            retract_reason in claim_rows:
        given = verdicts.get(claim_id, ())
        adjudication = adjudications.get(claim_id)
        mine = None
        if viewer_id is not None:
            for v in given:
                if v[5] == viewer_id:
                    mine = verdict_text(v)
                    break
        open_flags = flags.get(claim_id, ())
        status = derive([v[3] for v in given], len(open_flags), adjudication is not None)
        blind = False
        if viewer is not None and mine is None and not sees_all and adjudication is None:
            if blind_on is None:
                blind_on = get_flag("blind_review")
            blind = blind_on
        out[claim_id] = (
            f'{{"adjudication":{adjudication or "null"},"category":{esc(category)},'
            f'"created_at":{iso(created_at)},"created_by":{people[created_by_id]},'
            f'"flags":[{"" if blind else ",".join(open_flags)}],"id":{claim_id},"my_verdict":{mine or "null"},'
            f'"post_id":{post_id},"retract_reason":{text(retract_reason)},'
            f'"retracted":{"false" if retracted_at is None else "true"},"retracted_at":{iso(retracted_at)},'
            f'"sources":[{",".join(sources[claim_id])}],"spans":[{",".join(spans[claim_id])}],'
            f'"statement":{esc(statement)},'
            f'"status":"{"blind" if blind and status in _AGREED_OR_DISPUTED else _STATUS_TEXT[status]}",'
            f'"updated_at":{iso(updated_at)},"verdict_count":{len(given)},'
            f'"verdicts":[{"" if blind else ",".join(map(verdict_text, given))}],'
            f'"verdicts_hidden":{"true" if blind else "false"},"version":{version}}}')
    return out, first


def new_claim_json(written, viewer) -> dict:
    """The claim create_claim just wrote, exactly as load_claims([id], viewer) would give it
    once committed (tests/functional/test_claim_fastpath.py compares the two), built from the
    values written instead of reading them back. A new claim has no flags, no adjudication and
    at most the author's own verdict; only when the author gave none does blind review need
    the setting."""
    viewer = getattr(viewer, "_get_current_object", lambda: viewer)()
    people = {viewer.id: viewer} if viewer is not None and viewer.id == written.claim["created_by_id"] \
        else _users({written.claim["created_by_id"]})
    verdicts = [SimpleNamespace(**written.verdict)] if written.verdict else []
    state = {"verdicts": verdicts, "flags": [], "adjudication": None,
             "status": derive([v.rating for v in verdicts], 0, False)}
    sees_all = viewer is not None and can(viewer, Permission.SEE_ALL_VERDICTS)
    mine = any(getattr(viewer, "id", None) == v.reviewer_id for v in verdicts)
    blind_on = False if (mine or sees_all or viewer is None) else get_flag("blind_review")
    claim = SimpleNamespace(**written.claim, category_name=written.category_name)
    return claim_json(claim, [span_json(SimpleNamespace(**written.span), written.comment_path)],
                      [source_json(SimpleNamespace(**s), people) for s in written.sources],
                      state, viewer, blind_on, people, sees_all)


def _users(ids) -> dict:
    from ..auth.models import User
    if not ids:
        return {}
    return {u.id: u for u in db.session.execute(
        select(User.id, User.username, User.display_name).where(User.id.in_(ids)))}


def claim_json(claim, spans, sources, state, viewer, blind_on: bool, people: dict,
               sees_all: bool | None = None) -> dict:
    verdicts = state["verdicts"]
    viewer_id = getattr(viewer, "id", None)
    mine = next((v for v in verdicts if viewer_id is not None and v.reviewer_id == viewer_id), None)
    if sees_all is None:
        sees_all = viewer is not None and can(viewer, Permission.SEE_ALL_VERDICTS)
    blind = blind_on and viewer is not None and mine is None and not sees_all \
        and state["adjudication"] is None
    status = state["status"]
    adjudication = state["adjudication"]
    return {
        "id": claim.id, "version": claim.version, "post_id": claim.post_id,
        "statement": claim.statement, "category": claim.category_name,
        "status": "blind" if blind and status in (Status.AGREED, Status.DISPUTED) else status.value,
        "created_by": user_json(people.get(claim.created_by_id)), "created_at": isoformat(claim.created_at),
        "updated_at": isoformat(claim.updated_at),
        "retracted": claim.retracted_at is not None, "retracted_at": isoformat(claim.retracted_at),
        "retract_reason": claim.retract_reason,
        "spans": spans, "sources": sources,
        "verdict_count": len(verdicts),
        "verdicts_hidden": blind,
        "verdicts": [] if blind else [verdict_json(v, people) for v in verdicts],
        "my_verdict": verdict_json(mine, people) if mine else None,
        "flags": [] if blind else [{"id": f.id, "reason": f.reason, "created_at": isoformat(f.created_at),
                                    "created_by": user_json(people.get(f.created_by_id))}
                                   for f in state["flags"]],
        "adjudication": None if adjudication is None else {
            "id": adjudication.id, "rating": adjudication.rating.value, "reasoning": adjudication.reasoning,
            "lead": user_json(people.get(adjudication.lead_id)), "created_at": isoformat(adjudication.created_at)},
    }


def post_review_summary(post_ids: list[int], viewer) -> dict[int, dict]:
    """Per post on the index: how many live claims, and how many in each review status as this
    viewer may see it (blind review applies). Four queries for a page of posts."""
    summary = {pid: {"claims": 0} for pid in post_ids}
    if not post_ids:
        return summary
    pairs = db.session.execute(
        select(ClaimSpan.post_id, ClaimSpan.claim_id).distinct()
        .join(Claim, Claim.id == ClaimSpan.claim_id)
        .where(ClaimSpan.post_id.in_(post_ids), ClaimSpan.retracted_at.is_(None),
               Claim.retracted_at.is_(None))).all()
    state = review_state(sorted({cid for _, cid in pairs}))
    viewer = getattr(viewer, "_get_current_object", lambda: viewer)()
    blind_on = get_flag("blind_review")
    sees_all = viewer is not None and can(viewer, Permission.SEE_ALL_VERDICTS)
    for pid, cid in pairs:
        st = state[cid]
        status = st["status"].value
        mine = any(v.reviewer_id == getattr(viewer, "id", None) for v in st["verdicts"])
        if blind_on and not sees_all and not mine and status in ("agreed", "disputed"):
            status = "blind"
        row = summary[pid]
        row["claims"] += 1
        row[status] = row.get(status, 0) + 1
    return summary
