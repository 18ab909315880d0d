"""The same claim elsewhere: places in the corpus stating the same figure or similar words,
existing claims that match, and a claim's appearances in date order (first first)."""
import re

from flask import url_for
from sqlalchemy import or_, select

from ..annotations.models import Claim, ClaimSpan
from ..annotations.services import get_claim
from ..corpus.models import Comment, Post
from ..db import isoformat
from ..errors import ValidationError
from ..extensions import db
from ..permissions import Permission, require
from .figures import parse_figures
from .models import ClaimFigure
from .suggestions import sentences

_WORD = re.compile(r"[a-z]+|\d+(?:[.,]\d+)*", re.I)
_STOP = set("""a an the and or but of to in on at for by with from as is are was were be been being it its
this that these those there their they them he she his her we our you your i not no so than then which who
whom what when where will would can could should may might has have had do does did also just more most
very about into over under such only same other any all each per""".split())
SIMILAR = 0.5
MAX_PLACES, MAX_CLAIMS = 30, 20


def _stem(word: str) -> str:
    w = word.lower()
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text) if w.lower() not in _STOP}


def similarity(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _digits(fig) -> str:
    m = re.search(r"\d+(?:[.,]\d+)?", fig.raw)
    return m.group(0) if m else ""


def _candidate_units(keys, probe_words):
    """Post bodies and comments that may hold the figure (a LIKE on its digits) or the words."""
    likes = sorted({d for d in keys if d})
    if not likes and not probe_words:
        return []
    body_cond = [Post.body.contains(d, autoescape=True) for d in likes]
    comment_cond = [Comment.text.contains(d, autoescape=True) for d in likes]
    if probe_words:
        from .services import search_units
        units = search_units(probe_words)
        body_cond.append(Post.id.in_([p for p, c in units if c is None] or [-1]))
        comment_cond.append(Comment.id.in_([c for p, c in units if c is not None] or [-1]))
    out = [(p.id, None, p.body, p.date, None) for p in db.session.execute(
        select(Post.id, Post.body, Post.date).where(or_(*body_cond)))]
    out += [(c.post_id, c.id, c.text, c.date, c.path) for c in db.session.execute(
        select(Comment.post_id, Comment.id, Comment.text, Post.date, Comment.path)
        .join(Post, Post.id == Comment.post_id).where(or_(*comment_cond)))]
    return out


def _unit_url(post_id, path):
    try:
        base = url_for("corpus.post", post_id=post_id)
    except RuntimeError:  # no request (a CLI export): the path the reading page is served at
        base = f"/posts/{post_id}"
    return base + (f"#c{path.replace('.', '-')}" if path else "")


def find_matches(viewer, data: dict) -> dict:
    """For a claim being written: {"figures", "places", "claims"}, best first."""
    require(viewer, Permission.READ)
    exact = data.get("exact") if isinstance(data.get("exact"), str) else ""
    statement = data.get("statement") if isinstance(data.get("statement"), str) else ""
    if not (exact.strip() or statement.strip()):
        raise ValidationError("Send exact (the selected words) or statement.", field="exact")
    here = (data.get("post_id"), data.get("comment_id"), data.get("start"), data.get("end"))
    text = f"{exact} {statement}"[:5000]
    figs = parse_figures(text)
    keys = {f.key() for f in figs}
    mine = words(text)
    probe = " ".join(sorted(mine, key=len, reverse=True)[:8])
    places = []
    for post_id, comment_id, unit, when, path in _candidate_units({_digits(f) for f in figs}, probe):
        for s, e in sentences(unit):
            if post_id == here[0] and comment_id == here[1] and isinstance(here[2], int) \
                    and isinstance(here[3], int) and s < here[3] and here[2] < e:
                continue  # the selection itself
            sent = unit[s:e]
            same = [f for f in parse_figures(sent) if f.key() in keys]
            sim = similarity(mine, words(sent))
            if not same and sim < SIMILAR:
                continue
            reasons = [f"same figure: {f.raw}" for f in same] + ([f"similar wording ({sim:.0%})"] if sim >= SIMILAR else [])
            places.append({"post_id": post_id, "comment_id": comment_id, "comment_path": path, "start": s, "end": e,
                           "exact": sent, "date": when.isoformat(), "url": _unit_url(post_id, path),
                           "score": round(len(same) + sim, 3), "reasons": reasons})
    places.sort(key=lambda p: (-p["score"], p["date"], p["post_id"], p["comment_id"] or 0, p["start"]))
    return {"figures": [f.json() | {"raw": f.raw} for f in figs], "places": places[:MAX_PLACES],
            "claims": matching_claims(keys, mine)}


def matching_claims(keys: set, mine: set) -> list[dict]:
    """Live claims with the same figure (stored, or in their words) or similar wording."""
    rows = db.session.execute(select(Claim.id, Claim.statement, Claim.post_id)
                              .where(Claim.retracted_at.is_(None)).order_by(Claim.id)).all()
    if not rows:
        return []
    stored: dict[int, set] = {}
    for cid, value, unit in db.session.execute(select(ClaimFigure.claim_id, ClaimFigure.value, ClaimFigure.unit)):
        stored.setdefault(cid, set()).add((unit, round(value, 6)))
    exacts: dict[int, list[str]] = {}
    for cid, exact in db.session.execute(select(ClaimSpan.claim_id, ClaimSpan.exact)
                                         .where(ClaimSpan.retracted_at.is_(None))):
        exacts.setdefault(cid, []).append(exact)
    out = []
    for cid, statement, post_id in rows:
        texts = [statement] + exacts.get(cid, [])
        figs = stored.get(cid, set()) | {f.key() for t in texts for f in parse_figures(t)}
        same = sorted(keys & figs)
        sim = max(similarity(mine, words(t)) for t in texts)
        if not same and sim < SIMILAR:
            continue
        reasons = [f"same figure ({u}: {v:g})" for u, v in same] + ([f"similar wording ({sim:.0%})"] if sim >= SIMILAR else [])
        out.append({"id": cid, "statement": statement, "post_id": post_id, "url": f"/claims/{cid}",
                    "score": round(len(same) + sim, 3), "reasons": reasons})
    out.sort(key=lambda c: (-c["score"], c["id"]))
    return out[:MAX_CLAIMS]


def appearances(viewer, claim_id: int) -> list[dict]:
    """Every live span of the claim with its post's date, the first appearance first."""
    get_claim(claim_id, viewer)
    return appearances_for([claim_id])[claim_id]


def appearances_for(claim_ids) -> dict[int, list[dict]]:
    """Appearances of many claims in one query (for exports: ClaimReview appearance/firstAppearance)."""
    out: dict[int, list[dict]] = {cid: [] for cid in claim_ids}
    if not out:
        return out
    rows = db.session.execute(
        select(ClaimSpan, Post.date, Post.title, Comment.path, Comment.position)
        .join(Post, Post.id == ClaimSpan.post_id).outerjoin(Comment, Comment.id == ClaimSpan.comment_id)
        .where(ClaimSpan.claim_id.in_(list(out)), ClaimSpan.retracted_at.is_(None))).all()
    rows.sort(key=lambda r: (r.date, r[0].post_id, -1 if r.position is None else r.position, r[0].start, r[0].id))
    for span, when, title, path, _pos in rows:
        out[span.claim_id].append({
            "span_id": span.id, "post_id": span.post_id, "comment_id": span.comment_id, "comment_path": path,
            "start": span.start, "end": span.end, "exact": span.exact, "date": when.isoformat(),
            "post_title": title, "url": _unit_url(span.post_id, path), "created_at": isoformat(span.created_at)})
    return out
