"""The fast export path gives exactly what the straightforward one gave.

The loader was rewritten for speed (Core rows instead of ORM objects, no second pass to strip
private keys, only the parts a format uses). This file keeps the straightforward ORM version
(as committed before that rewrite, 6810f0c) as a reference, builds a varied database (disputes,
superseded verdicts, cleared and open flags, a reopened adjudication, retracted claims, spans
and sources, a claim on three units, e-mail addresses, ties on created_at, odd history rows,
blind review on) and checks that every format, under every option and viewer, is the same text
byte for byte; that load_claims (which the importer merges against) gives the same records; and
that the export keeps no ORM objects in the session while it streams.

Review tasks were added to the native export after that rewrite; the reference reads them the
straightforward way too (ORM objects, per batch), with the same rules: a claim's tasks in the
claim, a post's annotate tasks in the post, a viewer who does not assign sees only their own,
and a task's history events name it by uid.
"""
import json
from collections import defaultdict
from datetime import datetime, timedelta

import pytest
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from tests.unit.exports.builders import body
from workbench import audit
from workbench.annotations import schemas, services
from workbench.annotations.models import Category, Claim, ClaimSpan, Rating, Source, Verdict
from workbench.annotations.status import derive
from workbench.audit import AuditEvent
from workbench.auth.models import User
from workbench.corpus.models import Comment, Post
from workbench.exports import claimreview, loader, native, spreadsheet, w3c
from workbench.exports.filters import ExportOptions, redact
from workbench.exports.services import export
from workbench.permissions import Permission, can
from workbench.review.models import Adjudication, DiscussionPost, Flag
from workbench.settings import get_flag, set_flag
from workbench.tasks import services as task_services
from workbench.tasks.models import Task, TaskKind

BASE = "https://wb.example"


# --- the reference: the ORM loader as it was, and the native writer with its strip pass --------

REF_BATCH_POSTS = 100
REF_CHILD_MODELS = {"span": ClaimSpan, "source": Source, "verdict": Verdict, "flag": Flag,
                    "discussion": DiscussionPost, "adjudication": Adjudication}
REF_ENTITY_LISTS = {"claim": None, "span": "spans", "claim_span": "spans", "source": "sources",
                    "verdict": "verdicts", "flag": "flags", "discussion": "discussion",
                    "discussion_post": "discussion", "adjudication": "adjudications", "task": "tasks"}


def ref_ts(value):
    return None if value is None else value.isoformat(timespec="microseconds") + "Z"


def ref_sorted(rows):
    return sorted(rows, key=lambda r: (r.created_at, r.uid))


def ref_iter_posts(options, viewer=None, batch_size=REF_BATCH_POSTS, batch_claims=500):
    after = None
    blind = ref_blind_rule(viewer)
    tasks_of = None if viewer is None or can(viewer, Permission.ASSIGN) else viewer.id
    while True:
        stmt = select(Post).order_by(Post.date, Post.slug).limit(batch_size)
        if options.date_from:
            stmt = stmt.where(Post.date >= options.date_from)
        if options.date_to:
            stmt = stmt.where(Post.date <= options.date_to)
        if after is not None:
            stmt = stmt.where(or_(Post.date > after[0], and_(Post.date == after[0], Post.slug > after[1])))
        posts = ref_db().session.scalars(stmt).all()
        if not posts:
            return
        after = (posts[-1].date, posts[-1].slug)
        for chunk in ref_by_claims(posts, batch_claims):
            yield from ref_batch(chunk, options, blind, tasks_of)
        if len(posts) < batch_size:
            return


def ref_db():
    from workbench.extensions import db
    return db


def ref_by_claims(posts, batch_claims):
    counts = dict(ref_db().session.execute(select(Claim.post_id, func.count(Claim.id))
                                           .where(Claim.post_id.in_([p.id for p in posts]))
                                           .group_by(Claim.post_id)).all())
    chunk, held = [], 0
    for p in posts:
        n = counts.get(p.id, 0)
        if chunk and held + n > batch_claims:
            yield chunk
            chunk, held = [], 0
        chunk.append(p)
        held += n
    if chunk:
        yield chunk


def ref_blind_rule(viewer):
    if viewer is None or can(viewer, Permission.SEE_ALL_VERDICTS) or not get_flag("blind_review"):
        return None
    return viewer.id


def ref_task(t, names):
    return {"uid": t.uid, "kind": t.kind.value, "assignee": names[t.assignee_id],
            "created_by": names[t.created_by_id], "due_date": t.due_date.isoformat() if t.due_date else None,
            "priority": t.priority, "notes": t.notes, "status": t.status.value, "version": t.version,
            "created_at": ref_ts(t.created_at), "updated_at": ref_ts(t.updated_at),
            "completed_at": ref_ts(t.completed_at), "archived_at": ref_ts(t.archived_at)}


def ref_tasks(tasks, tasks_of):
    session = ref_db().session
    user_ids = {t.assignee_id for t in tasks} | {t.created_by_id for t in tasks}
    names = dict(session.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all()) \
        if user_ids else {}
    return [ref_task(t, names) for t in ref_sorted(tasks) if tasks_of is None or t.assignee_id == tasks_of]


def ref_batch(posts, options, blind_for, tasks_of=None):
    session = ref_db().session
    ids = [p.id for p in posts]
    parent = aliased(Comment)
    comments = defaultdict(list)
    for c, parent_path in session.execute(
            select(Comment, parent.path).outerjoin(parent, parent.id == Comment.parent_id)
            .where(Comment.post_id.in_(ids)).order_by(Comment.post_id, Comment.position)):
        text = redact(c.text) if options.redact_emails else c.text
        comments[c.post_id].append({"path": c.path, "parent": parent_path, "text": text, "_id": c.id})
    claim_ids = list(session.scalars(select(Claim.id).where(Claim.post_id.in_(ids))))
    claims = defaultdict(list)
    for claim in ref_load_claims(claim_ids, options, blind_for, tasks_of):
        if ref_matches(claim, options):
            claims[claim["_post_id"]].append(claim)
    post_tasks = defaultdict(list)
    if not options.omit_tasks:
        for t in session.scalars(select(Task).where(Task.post_id.in_(ids), Task.claim_id.is_(None))):
            post_tasks[t.post_id].append(t)
    post_history = ref_post_history(posts, options, tasks_of)
    for p in posts:
        if options.filters_claims and not claims[p.id]:
            continue
        record = {"slug": p.slug, "date": p.date.isoformat(), "title": p.title, "body": p.body,
                  "declared_comment_count": p.declared_comment_count, "source_name": p.source_name,
                  "content_hash": p.content_hash, "imported_at": ref_ts(p.imported_at)}
        if not options.omit_history:
            record["history"] = post_history[p.id]
        if not options.omit_tasks:
            record["tasks"] = ref_tasks(post_tasks[p.id], tasks_of)
        yield dict(record, comments=comments[p.id], claims=claims[p.id], _id=p.id)


def ref_post_history(posts, options, tasks_of):
    """A post's own events (its corrections, its comments', its annotate tasks' when the tasks
    are exported), naming the post by slug, a comment by path, a task by uid."""
    session = ref_db().session
    ids = [p.id for p in posts]
    out = defaultdict(list)
    if options.omit_history:
        return out
    slugs = {p.id: p.slug for p in posts}
    comments = {c.id: c for c in session.scalars(select(Comment).where(Comment.post_id.in_(ids)))}
    tasks = {} if options.omit_tasks else {t.id: t for t in session.scalars(
        select(Task).where(Task.post_id.in_(ids), Task.claim_id.is_(None)))
        if tasks_of is None or t.assignee_id == tasks_of}
    for e in session.scalars(select(AuditEvent).where(AuditEvent.entity_type.in_(("post", "comment", "task")))
                             .order_by(AuditEvent.at, AuditEvent.id)):
        if e.entity_type == "post" and e.entity_id in slugs:
            post_id, entity = e.entity_id, slugs[e.entity_id]
        elif e.entity_type == "comment" and e.entity_id in comments:
            post_id, entity = comments[e.entity_id].post_id, comments[e.entity_id].path
        elif e.entity_type == "task" and e.claim_id is None and e.entity_id in tasks:
            post_id, entity = tasks[e.entity_id].post_id, tasks[e.entity_id].uid
        else:
            continue
        before, after = ref_json(e.before), ref_json(e.after)
        if options.redact_emails and e.entity_type == "comment":
            before, after = ({**s, "text": redact(s["text"])} if isinstance(s, dict) and "text" in s else s
                             for s in (before, after))
        out[post_id].append({"at": ref_ts(e.at), "actor": e.actor.username if e.actor else None,
                             "entity_type": e.entity_type, "entity": entity, "action": e.action,
                             "before": before, "after": after, "reason": e.reason})
    return out


def ref_matches(claim, options):
    if options.category and claim["category"] != options.category:
        return False
    if options.status and claim["status"] != options.status:
        return False
    if options.only_adjudicated and claim["status"] != "adjudicated":
        return False
    if options.reviewer and not any(v["reviewer"] == options.reviewer and v["superseded_at"] is None
                                    for v in claim["verdicts"]):
        return False
    return True


def ref_load_claims(claim_ids, options=ExportOptions(), blind_for=None, tasks_of=None):
    session = ref_db().session
    if not claim_ids:
        return []
    rows = {name: defaultdict(list) for name in REF_CHILD_MODELS}
    for name, model in REF_CHILD_MODELS.items():
        for r in session.scalars(select(model).where(model.claim_id.in_(claim_ids))):
            rows[name][r.claim_id].append(r)
    tasks = defaultdict(list)
    for t in session.scalars(select(Task).where(Task.claim_id.in_(claim_ids))):
        tasks[t.claim_id].append(t)
    claims = session.execute(select(Claim, Category.name).join(Category, Category.id == Claim.category_id)
                             .where(Claim.id.in_(claim_ids))).all()
    history = defaultdict(list)
    if not options.omit_history:
        for e in session.scalars(select(AuditEvent).where(AuditEvent.claim_id.in_(claim_ids))
                                 .order_by(AuditEvent.at, AuditEvent.id)):
            history[e.claim_id].append(e)
    user_ids = {c.created_by_id for c, _ in claims} | {c.retracted_by_id for c, _ in claims}
    for name, per_claim in rows.items():
        for group in per_claim.values():
            for r in group:
                user_ids |= {getattr(r, f, None) for f in ("created_by_id", "reviewer_id", "author_id",
                                                           "lead_id", "cleared_by_id", "reopened_by_id")}
    user_ids |= {e.actor_id for group in history.values() for e in group}
    user_ids.discard(None)
    names = dict(session.execute(select(User.id, User.username).where(User.id.in_(user_ids))).all()) \
        if user_ids else {}
    locations = ref_span_locations([s for group in rows["span"].values() for s in group], options)
    out = []
    for claim, category in sorted(claims, key=lambda r: (r[0].created_at, r[0].uid)):
        parts = {name: ref_sorted(rows[name][claim.id]) for name in REF_CHILD_MODELS}
        parts["task"] = ref_sorted(tasks[claim.id])
        record = ref_claim(claim, category, parts, history[claim.id], names, locations, options, blind_for)
        if not options.omit_tasks:
            record["tasks"] = ref_tasks(parts["task"], tasks_of)
        out.append(record)
    return out


def ref_span_locations(spans, options):
    session = ref_db().session
    post_ids = {s.post_id for s in spans}
    comment_ids = {s.comment_id for s in spans if s.comment_id}
    posts = {row[0]: row[1:] for row in session.execute(
        select(Post.id, Post.slug, Post.date).where(Post.id.in_(post_ids)))} if post_ids else {}
    comments = {}
    if comment_ids:
        cols = (Comment.id, Comment.path, Comment.position) + ((Comment.text,) if options.redact_emails else ())
        comments = {row[0]: row[1:] for row in session.execute(select(*cols).where(Comment.id.in_(comment_ids)))}
    return {"posts": posts, "comments": comments}


def ref_claim(claim, category, parts, history, names, locations, options, blind_for):
    ts = ref_ts
    current = [v for v in parts["verdict"] if v.superseded_at is None]
    open_flags = [f for f in parts["flag"] if f.cleared_at is None]
    live = [a for a in parts["adjudication"] if a.reopened_at is None]
    status = derive([v.rating for v in current], len(open_flags), bool(live)).value
    hidden = blind_for is not None and not live and not any(v.reviewer_id == blind_for for v in current)
    user = names.get
    record = {
        "uid": claim.uid, "statement": claim.statement, "category": category, "status": status,
        "version": claim.version, "created_by": user(claim.created_by_id), "created_at": ts(claim.created_at),
        "updated_at": ts(claim.updated_at), "retracted_at": ts(claim.retracted_at),
        "retracted_by": user(claim.retracted_by_id), "retract_reason": claim.retract_reason,
        "spans": [ref_span(s, user, locations, options) for s in parts["span"]],
        "sources": [{"uid": s.uid, "url": s.url, "title": s.title, "publisher": s.publisher,
                     "quote": s.quote, "locator": s.locator, "stance": s.stance.value,
                     "accessed": s.accessed.isoformat() if s.accessed else None,
                     "created_by": user(s.created_by_id), "created_at": ts(s.created_at),
                     "retracted_at": ts(s.retracted_at)} for s in parts["source"]],
        "verdicts": [] if hidden else [
            {"uid": v.uid, "reviewer": user(v.reviewer_id), "rating": v.rating.value,
             "rationale": v.rationale, "created_at": ts(v.created_at), "superseded_at": ts(v.superseded_at)}
            for v in parts["verdict"]],
        "flags": [] if hidden else [
            {"uid": f.uid, "created_by": user(f.created_by_id), "reason": f.reason,
             "created_at": ts(f.created_at), "cleared_at": ts(f.cleared_at),
             "cleared_by": user(f.cleared_by_id)} for f in parts["flag"]],
        "adjudications": [
            {"uid": a.uid, "lead": user(a.lead_id), "rating": a.rating.value, "reasoning": a.reasoning,
             "created_at": ts(a.created_at), "reopened_at": ts(a.reopened_at),
             "reopened_by": user(a.reopened_by_id), "reopen_reason": a.reopen_reason}
            for a in parts["adjudication"]],
        "_id": claim.id, "_post_id": claim.post_id,
    }
    if hidden:
        record["status"] = "blind" if status in ("agreed", "disputed") else status
    if not options.omit_discussion:
        record["discussion"] = [] if hidden else [
            {"uid": d.uid, "author": user(d.author_id), "body": d.body, "created_at": ts(d.created_at)}
            for d in parts["discussion"]]
    if not options.omit_history:
        record["history"] = [] if hidden else ref_history(history, claim, parts, user, locations, options)
    return record


def ref_span(s, user, locations, options):
    comment = locations["comments"].get(s.comment_id) if s.comment_id else None
    exact, prefix, suffix = s.exact, s.prefix, s.suffix
    if options.redact_emails and comment is not None:
        text = redact(comment[2])
        exact = text[s.start:s.end]
        prefix = text[max(0, s.start - len(s.prefix)):s.start]
        suffix = text[s.end:s.end + len(s.suffix)]
    slug, day = locations["posts"][s.post_id]
    return {"uid": s.uid, "post": slug, "comment": comment[0] if comment else None,
            "start": s.start, "end": s.end, "exact": exact, "prefix": prefix, "suffix": suffix,
            "created_by": user(s.created_by_id), "created_at": ref_ts(s.created_at),
            "retracted_at": ref_ts(s.retracted_at), "_post_id": s.post_id, "_post_date": day.isoformat(),
            "_position": -1 if comment is None else comment[1]}


def ref_history(events, claim, parts, user, locations, options):
    uids = {("claim", claim.id): claim.uid}
    for key, model_rows in (("spans", parts["span"]), ("sources", parts["source"]), ("verdicts", parts["verdict"]),
                            ("flags", parts["flag"]), ("discussion", parts["discussion"]),
                            ("adjudications", parts["adjudication"]), ("tasks", parts["task"])):
        for r in model_rows:
            uids[(key, r.id)] = r.uid
    out = []
    for e in events:
        kind = REF_ENTITY_LISTS.get(e.entity_type, "?")
        entity = uids.get(("claim" if kind is None else kind, e.entity_id))
        before, after = ref_json(e.before), ref_json(e.after)
        if options.redact_emails and e.entity_type == "span":   # the quote in the history is masked too
            before, after = ref_masked(before, locations), ref_masked(after, locations)
        out.append({"at": ref_ts(e.at), "actor": user(e.actor_id), "entity_type": e.entity_type, "entity": entity,
                    "action": e.action, "before": before, "after": after, "reason": e.reason})
    return out


def ref_masked(state, locations):
    if not isinstance(state, dict) or not isinstance(state.get("exact"), str):
        return state
    comment = locations["comments"].get(state.get("comment_id"))
    if comment is not None and isinstance(state.get("start"), int) and isinstance(state.get("end"), int):
        return {**state, "exact": redact(comment[2])[state["start"]:state["end"]]}
    return {**state, "exact": redact(state["exact"])}


def ref_json(value):
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


def ref_public(value):
    if isinstance(value, dict):
        return {k: ref_public(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [ref_public(v) for v in value]
    return value


def ref_export(fmt, options, viewer=None, batch_claims=500) -> str:
    posts = ref_iter_posts(options, viewer, batch_claims=batch_claims)
    if fmt == "jsonl":
        return "".join(json.dumps(ref_public(p), ensure_ascii=False, separators=(",", ":")) + "\n" for p in posts)
    module = {"w3c": w3c, "claimreview": claimreview, "csv": spreadsheet}[fmt]
    return "".join(module.write(posts, BASE))


# --- a varied database ----------------------------------------------------------------------

@pytest.fixture
def varied(annotated, db, make_user):
    """The annotated seeds, and more of every kind of row an export reads."""
    rita, ravi, lead = annotated["users"]
    other = make_user("reviewer", "olga")
    admin = make_user("admin", "ada")
    set_flag("blind_review", True)
    posts = db.session.scalars(select(Post).order_by(Post.date, Post.slug)).all()
    first, second, third = posts[0], posts[1], posts[2]

    # an e-mail address in a comment, and a claim on it (redaction re-cuts the quote)
    comment = db.session.scalar(select(Comment).where(Comment.post_id == third.id).order_by(Comment.position))
    comment.text = comment.text + " Write to jo.bloggs+cr@probation.example.org today."
    db.session.flush()
    mail = services.create_claim(other, body(third, "jo.bloggs+cr@probation.example.org today",
                                                       "A claim on an address", category="other",
                                                       comment=comment))
    # one claim on three units, one of them retracted; a Unicode statement; sources, one retracted
    many = services.create_claim(rita, body(third, third.body.split()[12], "Ünïcode “quotes” 😀 \u2028 line",
                                            sources=[{"url": "https://example.org/x", "title": "X",
                                                      "publisher": "P", "quote": "q", "locator": "l",
                                                      "stance": "context", "accessed": "2019-05-06"},
                                                     {"url": "https://example.org/y", "stance": "refutes"}],
                                            verdict={"rating": "mixed", "rationale": "Half."}))
    services.attach_span(rita, many, body(first, first.body.split()[40], "x"))
    extra = services.attach_span(rita, many, body(second, second.body.split()[20], "x"))
    extra.retracted_at = datetime(2021, 1, 1, 12, 0, 0, 1)
    services.set_source_retracted(rita, many.sources[1], True)
    services.set_verdict(ravi, many, schemas.VerdictIn(Rating.MIXED, "Agree."))
    services.set_verdict(other, many, schemas.VerdictIn(Rating.UNVERIFIABLE, ""))

    # a cleared flag and an open one; a reopened adjudication followed by a new one
    disputed = db.session.get(Claim, annotated["disputed"])
    cleared = Flag(claim_id=disputed.id, created_by_id=other.id, reason="Old.", cleared_at=datetime(2022, 2, 2),
                   cleared_by_id=lead.id)
    db.session.add(cleared)
    adjudicated = db.session.get(Claim, annotated["adjudicated"])
    live = db.session.scalar(select(Adjudication).where(Adjudication.claim_id == adjudicated.id))
    live.reopened_at, live.reopened_by_id, live.reopen_reason = datetime(2023, 3, 3), admin.id, "New evidence."
    db.session.flush()
    db.session.add(Adjudication(claim_id=adjudicated.id, lead_id=admin.id, rating=Rating.MOSTLY_FALSE,
                                reasoning="Re-settled.", created_at=datetime(2023, 3, 4)))
    db.session.add(DiscussionPost(claim_id=adjudicated.id, author_id=lead.id, body="Reopened: see the new table."))
    db.session.flush()

    # history rows the mapping does not know: an unknown entity, a missing actor, text that is not JSON
    audit.record(None, "task", 999, "assign", before={"a": [1, 2]}, after=None, claim_id=many.id)
    db.session.add(AuditEvent(actor_id=lead.id, entity_type="source", entity_id=many.sources[0].id, action="note",
                              before="not json", after='{"ü": "ß", "n": 1.5}', reason="odd", claim_id=many.id))
    # tasks: the blind viewer's own, one for the claim on three units, a reassigned one, and ties
    mine = task_services.create_task(lead, task_services.TaskIn(TaskKind.CHECK_CLAIM, other.id, claim_id=many.id,
                                                                notes="Ünïcode “notes” 😀 \u2028"))
    reassigned = task_services.create_task(lead, task_services.TaskIn(TaskKind.ANNOTATE_POST, rita.id,
                                                                      post_id=third.id, due_date=datetime(2030, 5, 6).date()))
    task_services.update_task(lead, reassigned, reassigned.version, {"assignee_id": other.id, "priority": 1})
    tied = [task_services.create_task(lead, task_services.TaskIn(TaskKind.CHECK_CLAIM, reviewer.id,
                                                                 claim_id=annotated["adjudicated"]))
            for reviewer in (rita, other)]
    task_services.create_task(admin, task_services.TaskIn(TaskKind.ADJUDICATE_CLAIM, admin.id, claim_id=many.id))
    for t in tied + [mine]:
        t.created_at = datetime(2024, 5, 5, 5, 5, 5, 5)
    db.session.flush()

    # a post's own history: a corrected title, a corrected comment whose old text held an address
    audit.record(None, "post", third.id, "correct_title", before={"title": "Old title"},
                 after={"title": third.title}, reason="text corrected by re-importing third.txt")
    audit.record(None, "comment", comment.id, "correct_text", before={"text": "Mail jo.bloggs+cr@probation.example.org"},
                 after={"length": len(comment.text)}, reason="text corrected by re-importing third.txt")

    # ties on created_at: the order falls back to uid
    same = datetime(2024, 4, 4, 4, 4, 4, 4)
    for cid in (annotated["two_posts"], annotated["retracted"], mail.id):
        db.session.get(Claim, cid).created_at = same
    for v in db.session.scalars(select(Verdict).where(Verdict.claim_id == many.id)):
        v.created_at = same + timedelta(microseconds=1)
    db.session.commit()
    return dict(annotated, olga=other, ada=admin, mail=mail.id, many=many.id)


OPTIONS = {
    "all": ExportOptions(),
    "trimmed": ExportOptions(omit_discussion=True, omit_history=True, redact_emails=True),
    "redacted": ExportOptions(redact_emails=True),
    "no-history": ExportOptions(omit_history=True),
    "category": ExportOptions(category="CRC finances"),
    "disputed": ExportOptions(status="disputed"),
    "reviewer": ExportOptions(reviewer="ravi"),
    "adjudicated": ExportOptions(only_adjudicated=True),
    "nothing": ExportOptions(category="no such category"),
    "no-tasks": ExportOptions(omit_tasks=True),
    "lean": ExportOptions(omit_tasks=True, omit_history=True, omit_discussion=True),
}


def viewers(data):
    rita, ravi, lead = data["users"]
    return {"cli": None, "lead": lead, "rita": rita, "olga": data["olga"]}


@pytest.mark.parametrize("fmt", ["jsonl", "w3c", "claimreview", "csv"])
@pytest.mark.parametrize("option", list(OPTIONS))
def test_every_format_and_option_as_before(varied, fmt, option):
    options = OPTIONS[option]
    for name, viewer in viewers(varied).items():
        got = "".join(export(viewer, fmt, options, base=BASE))
        assert got == ref_export(fmt, options, viewer), (fmt, option, name)


@pytest.mark.parametrize("fmt", ["jsonl", "w3c", "claimreview", "csv"])
def test_dates_and_small_batches_as_before(varied, db, monkeypatch, fmt):
    days = db.session.scalars(select(Post.date).order_by(Post.date)).all()
    monkeypatch.setattr(loader, "BATCH_CLAIMS", 1)
    # one claim a batch: every post with two claims or more is written as its claims are read
    for options in (ExportOptions(date_from=days[1]), ExportOptions(date_to=days[2]),
                    ExportOptions(date_from=days[1], date_to=days[3], redact_emails=True),
                    ExportOptions(date_from=days[-1] + timedelta(days=1)), *OPTIONS.values()):
        for viewer in (None, varied["olga"]):
            got = "".join(export(viewer, fmt, options, base=BASE))
            assert got == ref_export(fmt, options, viewer, batch_claims=1), (fmt, options)


@pytest.mark.parametrize("piece", [1, 2])
def test_native_lines_written_in_pieces_as_before(varied, monkeypatch, piece):
    """A native line goes out in pieces of CLAIMS_PER_PIECE claims: the same bytes."""
    monkeypatch.setattr(native, "CLAIMS_PER_PIECE", piece)
    for options in OPTIONS.values():
        assert "".join(export(None, "jsonl", options, base=BASE)) == ref_export("jsonl", options)
    records = list(loader.iter_posts(ExportOptions()))     # with the "_" keys: stripped as before
    assert "".join(native.write(records)) == "".join(native.dumps(r) for r in records)


def test_blind_review_off_as_before(varied, db):
    set_flag("blind_review", False)
    db.session.commit()
    for fmt in ("jsonl", "csv"):
        got = "".join(export(varied["olga"], fmt, ExportOptions(), base=BASE))
        assert got == ref_export(fmt, ExportOptions(), varied["olga"])


def test_the_records_as_before(varied, db):
    """The loader's records, private keys and all, for the other formats and for the importer."""
    for options in (ExportOptions(), OPTIONS["trimmed"], OPTIONS["no-tasks"]):
        for viewer in (varied["olga"], None):
            assert list(loader.iter_posts(options, viewer)) == list(ref_iter_posts(options, viewer))
    ids = db.session.scalars(select(Claim.id).order_by(Claim.id.desc())).all()
    assert loader.load_claims(ids) == ref_load_claims(ids)
    assert loader.load_claims([]) == []


def test_the_database_is_varied_enough(varied):
    """Guards the fixture: the comparisons above cover what they claim to."""
    # lines end at "\n" only: text may hold U+2028, which str.splitlines would cut at
    records = [json.loads(line) for line in "".join(export(None, "jsonl", ExportOptions(), base=BASE)).split("\n")[:-1]]
    claims = [c for r in records for c in r["claims"]]
    assert {c["status"] for c in claims} >= {"disputed", "adjudicated", "agreed", "no_verdict"}
    assert any(c["retracted_at"] for c in claims)
    assert any(len(c["spans"]) == 3 and any(s["retracted_at"] for s in c["spans"]) for c in claims)
    assert any(s["retracted_at"] for c in claims for s in c["sources"])
    assert any(a["reopened_at"] for c in claims for a in c["adjudications"])
    assert any(f["cleared_at"] for c in claims for f in c["flags"])
    assert any(e["entity"] is None and e["actor"] is None for c in claims for e in c["history"])
    assert any(e["before"] == "not json" for c in claims for e in c["history"])
    hidden = "".join(export(varied["olga"], "jsonl", ExportOptions(), base=BASE))
    assert '"status":"blind"' in hidden
    redacted = [json.loads(line) for line in "".join(export(None, "jsonl", OPTIONS["redacted"], base=BASE)).split("\n")[:-1]]
    spans = [s["exact"] for r in redacted for c in r["claims"] for s in c["spans"]]
    assert any(s.startswith("*********") for s in spans) and not any("jo.bloggs" in s for s in spans)
    assert "jo.bloggs" not in "".join(export(None, "jsonl", OPTIONS["redacted"], base=BASE))   # history too
    created = [c["created_at"] for c in claims]
    assert len(created) > len(set(created))
    tasks = [t for c in claims for t in c["tasks"]] + [t for r in records for t in r["tasks"]]
    assert {t["kind"] for t in tasks} == {"annotate_post", "check_claim", "adjudicate_claim"}
    assert {t["status"] for t in tasks} == {"open", "in_progress", "done", "cancelled"}
    assert len({t["created_at"] for t in tasks}) < len(tasks)
    assert any(e["entity_type"] == "task" and e["entity"] in {t["uid"] for t in tasks} for c in claims for e in c["history"])
    events = {(e["entity_type"], e["action"]) for r in records for e in r["history"]}
    assert {("post", "correct_title"), ("comment", "correct_text"), ("task", "reassign")} <= events
    own = [json.loads(line) for line in hidden.split("\n")[:-1]]
    assert {t["assignee"] for r in own for t in r["tasks"] + [t for c in r["claims"] for t in c["tasks"]]} == {"olga"}


def test_the_session_holds_no_objects_while_exporting(varied, db, monkeypatch):
    """Memory bound: rows are read as Core rows, so nothing piles up in the identity map
    however many batches go by, and no batch reads more than BATCH_CLAIMS claims, even when
    one post has more (one claim a batch here)."""
    monkeypatch.setattr(loader, "BATCH_CLAIMS", 1)
    read = []
    real = loader._records
    monkeypatch.setattr(loader, "_records", lambda ids, *a: read.append(len(ids)) or real(ids, *a))
    olga = varied["olga"].id
    for fmt in ("jsonl", "w3c", "claimreview", "csv"):
        db.session.commit()
        db.session.expunge_all()
        viewer = db.session.get(User, olga)
        seen = []
        for _ in export(viewer, fmt, ExportOptions(), base=BASE):
            seen.append(len(db.session.identity_map))
        assert seen and max(seen) <= 2, (fmt, max(seen))   # the viewer and the blind-review setting
    assert max(read) == 1 and sum(read) == 4 * db.session.scalar(select(func.count(Claim.id)))
