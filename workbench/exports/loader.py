"""Reads the corpus for export in batches of posts, a fixed number of queries per batch.

Each post comes out as its native record (a plain dict, the shape of one JSON Lines line).
With private=True, keys starting with "_" carry database ids the other formats need for URLs;
they are never written to the native file, which asks for records without them. Posts are
ordered by (date, slug), claims and their parts by (created_at, uid), history by (at, id): the
same data always comes out in the same order.

A post's "claims" is a list, except for a post with more claims than a batch holds: then it is
an iterator that reads them in slices of BATCH_CLAIMS as it is consumed (iterate it once, before
asking for the next post), so memory stays flat however many claims one post has.

Rows are read as plain Core rows in a fixed column order and unpacked, never as ORM objects:
nothing is kept in the session's identity map, and a batch costs its queries plus one dict per
exported object (100,000 claims are about a million rows). A format that does not write the
thread, the discussion, the history or the tasks asks the loader not to read them (see
services.export).

Review tasks travel with what they are about: a claim's check and adjudicate tasks are in its
record ("tasks", after its other lists), a post's annotate tasks in the post's record ("tasks",
before "comments"), both in (created_at, uid) order. The tasks of a batch are read in one query
(by claim for the claims' tasks, by post for the annotate tasks), with the usernames joined in.
A filter that leaves a claim out leaves its tasks out; a post left out takes its annotate tasks
along. A viewer who may not assign work gets only the tasks assigned to them, as on the task pages.

A post's own history ("history", before its "tasks") holds the events that are about the post
rather than a claim: corrections of its text and title and of its comments' texts (a re-import
with --accept-changes keeps the old text there), and the events of the annotate tasks the record
carries (none when the tasks are omitted; a viewer who sees only their own tasks gets only their
events). Each names what it is about by a stable name: the post by its slug, a comment by its
path, a task by its uid. They are read in one query per batch (POST_HISTORY), in (at, id) order.
"""
import json
from collections import defaultdict
from itertools import chain
from operator import itemgetter
from typing import Iterator

from sqlalchemy import Integer, and_, bindparam, cast, func, null, or_, select, union_all
from sqlalchemy.orm import aliased

from ..annotations.models import Category, Claim, ClaimSpan, Source, Verdict
from ..annotations.status import derive
from ..audit import AuditEvent
from ..auth.models import User
from ..corpus.models import Comment, Post
from ..extensions import db
from ..permissions import Permission, can
from ..review.models import Adjudication, DiscussionPost, Flag
from ..settings import get_flag
from ..tasks.models import Task
from .filters import ExportOptions, redact

BATCH_POSTS = 100
BATCH_CLAIMS = 500   # a batch of posts is cut so that it holds at most about this many claims
# audit entity_type → which list of the claim holds the entity (its uid is exported, not its id)
ENTITY_LISTS = {"claim": None, "span": "spans", "claim_span": "spans", "source": "sources",
                "verdict": "verdicts", "flag": "flags", "discussion": "discussion",
                "discussion_post": "discussion", "adjudication": "adjudications", "task": "tasks"}

# The columns read for each part, in the order the loops below unpack them. Every part row
# starts with (claim_id, created_at, uid, id): grouped by claim, sorted by (created_at, uid).
POST_COLUMNS = (Post.id, Post.slug, Post.date, Post.title, Post.body, Post.declared_comment_count,
                Post.source_name, Post.content_hash, Post.imported_at)
CLAIM_COLUMNS = (Claim.id, Claim.uid, Claim.post_id, Claim.statement, Category.name, Claim.version,
                 Claim.created_by_id, Claim.created_at, Claim.updated_at, Claim.retracted_at,
                 Claim.retracted_by_id, Claim.retract_reason)
PART_COLUMNS = {
    "spans": (ClaimSpan.post_id, ClaimSpan.comment_id, ClaimSpan.start, ClaimSpan.end, ClaimSpan.exact,
              ClaimSpan.prefix, ClaimSpan.suffix, ClaimSpan.created_by_id, ClaimSpan.retracted_at),
    "sources": (Source.url, Source.title, Source.publisher, Source.quote, Source.locator, Source.stance,
                Source.accessed, Source.created_by_id, Source.retracted_at),
    "verdicts": (Verdict.reviewer_id, Verdict.rating, Verdict.rationale, Verdict.superseded_at),
    "flags": (Flag.created_by_id, Flag.reason, Flag.cleared_at, Flag.cleared_by_id),
    "discussion": (DiscussionPost.author_id, DiscussionPost.body),
    "adjudications": (Adjudication.lead_id, Adjudication.rating, Adjudication.reasoning, Adjudication.reopened_at,
                      Adjudication.reopened_by_id, Adjudication.reopen_reason),
}
PART_MODELS = {"spans": ClaimSpan, "sources": Source, "verdicts": Verdict, "flags": Flag,
               "discussion": DiscussionPost, "adjudications": Adjudication}
# where the user ids sit in each part row (after the four leading columns)
PART_USERS = {"spans": (11,), "sources": (11,), "verdicts": (4,), "flags": (4, 7), "discussion": (4,),
              "adjudications": (4, 8)}
_by_time = itemgetter(1, 2)


def _in(column):
    """column IN (:ids), the list given when the statement runs: the statements below are built
    once, not per batch (building and caching an IN of 500 literals costs more than running it)."""
    return column.in_(bindparam("ids", expanding=True))


_parent = aliased(Comment)
COMMENTS = (select(Comment.post_id, Comment.path, _parent.path, Comment.text, Comment.id)
            .outerjoin(_parent, _parent.id == Comment.parent_id)
            .where(_in(Comment.post_id)).order_by(Comment.post_id, Comment.position))
CLAIM_COUNTS = select(Claim.post_id, func.count(Claim.id)).where(_in(Claim.post_id)).group_by(Claim.post_id)
CLAIM_IDS = select(Claim.id).where(_in(Claim.post_id))
CLAIMS = select(*CLAIM_COLUMNS).join(Category, Category.id == Claim.category_id).where(_in(Claim.id))
PARTS = {key: select(model.claim_id, model.created_at, model.uid, model.id, *PART_COLUMNS[key])
         .where(_in(model.claim_id)) for key, model in PART_MODELS.items()}
HISTORY = (select(AuditEvent.claim_id, AuditEvent.at, AuditEvent.actor_id, AuditEvent.entity_type,
                  AuditEvent.entity_id, AuditEvent.action, AuditEvent.before, AuditEvent.after, AuditEvent.reason)
           .where(_in(AuditEvent.claim_id)).order_by(AuditEvent.at, AuditEvent.id))
_assignee, _creator = aliased(User), aliased(User)
# A task row starts like a part row: (claim_id, created_at, uid, id), then the exported fields,
# then the assignee's id (for a viewer who sees only their own tasks).
TASK_COLUMNS = (Task.claim_id, Task.created_at, Task.uid, Task.id, Task.post_id, Task.kind, _assignee.username,
                _creator.username, Task.due_date, Task.priority, Task.notes, Task.status, Task.version,
                Task.updated_at, Task.completed_at, Task.archived_at, Task.assignee_id)
# the tasks of these claims, and the annotate tasks of these posts: one query for a batch
TASKS = (select(*TASK_COLUMNS).join(_assignee, _assignee.id == Task.assignee_id)
         .join(_creator, _creator.id == Task.created_by_id)
         .where(or_(Task.claim_id.in_(bindparam("claims", expanding=True)),
                    and_(Task.claim_id.is_(None), Task.post_id.in_(bindparam("posts", expanding=True))))))
USERNAMES = select(User.id, User.username).where(_in(User.id))


def _post_events(entity_type: str, join, post_column, name):
    """The events of one kind of thing on these posts, as (at, id, actor, entity_type, action,
    before, after, reason, post id, the thing's stable name, task assignee id or None). The
    things' ids are listed first (entity_id IN (SELECT id …)), so the audit_event index on
    (entity_type, entity_id) is searched for each of them, rather than read for every event of
    that type in the workbench once per batch (what SQLite's planner chose for a plain join)."""
    _actor = aliased(User)
    posts = bindparam("posts", expanding=True)
    ids = posts if join is Post else select(join.id).where(post_column.in_(posts)).scalar_subquery()
    return (select(AuditEvent.at, AuditEvent.id, _actor.username, AuditEvent.entity_type, AuditEvent.action,
                   AuditEvent.before, AuditEvent.after, AuditEvent.reason, post_column.label("post_id"),
                   name.label("entity"),
                   (Task.assignee_id if join is Task else cast(null(), Integer)).label("assignee_id"))
            .select_from(AuditEvent).join(join, join.id == AuditEvent.entity_id)
            .outerjoin(_actor, _actor.id == AuditEvent.actor_id)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id.in_(ids)))


# A post's own history, in one statement for a batch of posts: the post's events, its comments'
# (entity_id a comment id) and its annotate tasks' (entity_id a task id, no claim).
POST_HISTORY = union_all(
    _post_events("post", Post, Post.id, Post.slug),
    _post_events("comment", Comment, Comment.post_id, Comment.path),
    _post_events("task", Task, Task.post_id, Task.uid).where(Task.claim_id.is_(None), AuditEvent.claim_id.is_(None)))
POST_DAYS = select(Post.id, Post.slug, Post.date).where(_in(Post.id))
COMMENT_PLACES = select(Comment.id, Comment.path, Comment.position).where(_in(Comment.id))
COMMENT_PLACES_TEXT = select(Comment.id, Comment.path, Comment.position, Comment.text).where(_in(Comment.id))


def _rows(stmt, ids):
    """Run one of the statements above on the session's connection: Core rows, without the
    ORM's result layer (which copies every row once more), after the autoflush a session
    query would do.

    The list is padded to a power of two (at least 16) by repeating its last id, which selects
    nothing more: IN (...) then has one of a few lengths, so the driver prepares a handful of
    statements and reuses them. Unpadded, every batch has its own length, and the driver's
    cache of prepared statements (SQLite's holds 128, each with up to 500 parameters) grows
    through an export by about 10 MB."""
    return _run(stmt, {"ids": _padded(ids)})


def _padded(ids) -> list:
    ids = list(ids)
    if ids:
        ids += ids[-1:] * (max(16, 1 << (len(ids) - 1).bit_length()) - len(ids))
    return ids


def _run(stmt, params: dict):
    session = db.session()
    if session.autoflush:
        session.flush()
    return session.connection().execute(stmt, params)


def _task_rows(claim_ids, post_ids) -> tuple[dict, dict]:
    """The tasks of these claims and the annotate tasks of these posts, in one query: rows by
    claim id and by post id, each list in (created_at, uid) order."""
    per_claim, per_post = defaultdict(list), defaultdict(list)
    for row in _run(TASKS, {"claims": _padded(claim_ids), "posts": _padded(post_ids)}):
        if row[0] is None:
            per_post[row[4]].append(row)
        else:
            per_claim[row[0]].append(row)
    for groups in (per_claim, per_post):
        for group in groups.values():
            group.sort(key=_by_time)
    return per_claim, per_post


def task_record(row) -> dict:
    """A task's native record, from a row in TASK_COLUMNS order (who by username, no database ids)."""
    (_, created_at, uid, _, _, kind, assignee, created_by, due_date, priority, notes, status, version,
     updated_at, completed_at, archived_at, _) = row
    return {"uid": uid, "kind": kind.value, "assignee": assignee, "created_by": created_by,
            "due_date": due_date.isoformat() if due_date else None, "priority": priority, "notes": notes,
            "status": status.value, "version": version, "created_at": ts(created_at),
            "updated_at": ts(updated_at), "completed_at": ts(completed_at), "archived_at": ts(archived_at)}


def task_records(rows, tasks_of) -> list[dict]:
    """The records of the rows the viewer may see (tasks_of: None for all, else a user id)."""
    return [task_record(r) for r in rows if tasks_of is None or r[16] == tasks_of]


def load_post_tasks(post_ids) -> dict[int, list[dict]]:
    """Every annotate task of these posts as native records, by post id (the importer merges
    against them)."""
    _, per_post = _task_rows((), post_ids)
    return {post_id: [task_record(r) for r in rows] for post_id, rows in per_post.items()}


def post_history(post_ids, *, tasks: bool = True, tasks_of=None, redact_emails: bool = False) -> dict[int, list[dict]]:
    """The posts' own history as native events, by post id, each list in (at, id) order. tasks:
    with the events of the posts' annotate tasks (tasks_of: only those of the tasks assigned to
    this user id); redact_emails: addresses masked in the recorded texts of comments."""
    rows = sorted(_run(POST_HISTORY, {"posts": _padded(post_ids)}), key=itemgetter(0, 1))
    out = defaultdict(list)
    for at, _, actor, entity_type, action, before, after, reason, post_id, entity, assignee in rows:
        if entity_type == "task" and not (tasks and (tasks_of is None or assignee == tasks_of)):
            continue
        before, after = _json(before), _json(after)
        if redact_emails and entity_type == "comment":
            before, after = _masked_text(before), _masked_text(after)
        out[post_id].append({"at": ts(at), "actor": actor, "entity_type": entity_type, "entity": entity,
                             "action": action, "before": before, "after": after, "reason": reason})
    return out


def _masked_text(state):
    """A comment's recorded text (a correction keeps the old one), addresses masked as in the thread."""
    if isinstance(state, dict) and isinstance(state.get("text"), str):
        return {**state, "text": redact(state["text"])}
    return state


def ts(value) -> str | None:
    """Timestamps to the microsecond, so an import restores them exactly."""
    return None if value is None else value.isoformat(timespec="microseconds") + "Z"


def iter_posts(options: ExportOptions, viewer=None, batch_size: int = BATCH_POSTS, *,
               private: bool = True, thread: bool = True) -> Iterator[dict]:
    """Every post the options select, as native records, one batch of posts in memory at a time.
    private: add the "_" keys; thread: read the comments (else every post has an empty list)."""
    after = None
    blind = _blind_rule(viewer)
    tasks_of = _task_rule(viewer)
    while True:
        stmt = select(*POST_COLUMNS).order_by(Post.date, Post.slug).limit(batch_size)
        if options.date_from:
            stmt = stmt.where(Post.date >= options.date_from)
        if options.date_to:
            stmt = stmt.where(Post.date <= options.date_to)
        if after is not None:
            stmt = stmt.where(or_(Post.date > after[0], and_(Post.date == after[0], Post.slug > after[1])))
        posts = db.session.execute(stmt).all()
        if not posts:
            return
        after = (posts[-1][2], posts[-1][1])
        for chunk, held in _by_claims(posts):
            yield from _batch(chunk, held, options, blind, private, thread, tasks_of)
        if len(posts) < batch_size:
            return


def _by_claims(posts: list) -> Iterator[tuple[list, int]]:
    """Cut a batch of posts so that each piece holds at most BATCH_CLAIMS claims (a single post
    with more is its own piece, its claims read in slices): memory follows the claims in a
    batch, not the posts. Yields (posts, how many claims they hold)."""
    counts = dict(_rows(CLAIM_COUNTS, [p[0] for p in posts]).all())
    chunk, held = [], 0
    for p in posts:
        n = counts.get(p[0], 0)
        if chunk and held + n > BATCH_CLAIMS:
            yield chunk, held
            chunk, held = [], 0
        chunk.append(p)
        held += n
    if chunk:
        yield chunk, held


def _blind_rule(viewer):
    """Blind review holds for exports too: a reviewer who has not given their own verdict
    does not get the others' verdicts, flags, discussion or history through a download."""
    if viewer is None or can(viewer, Permission.SEE_ALL_VERDICTS) or not get_flag("blind_review"):
        return None
    return viewer.id


def _task_rule(viewer):
    """Whose tasks an export holds: everyone's for the command line and for those who assign
    work; only their own for the others (the task pages show a reviewer their own queue)."""
    if viewer is None or can(viewer, Permission.ASSIGN):
        return None
    return viewer.id


def _batch(posts, held: int, options: ExportOptions, blind_for, private: bool, thread: bool,
           tasks_of=None) -> Iterator[dict]:
    ids = [p[0] for p in posts]
    comments = defaultdict(list)
    if thread:
        mask = redact if options.redact_emails else None
        for post_id, path, parent_path, text, comment_id in _rows(COMMENTS, ids):
            c = {"path": path, "parent": parent_path, "text": mask(text) if mask else text}
            if private:
                c["_id"] = comment_id
            comments[post_id].append(c)
    claims = defaultdict(list)
    post_tasks = {}
    if held > BATCH_CLAIMS:          # one post (see _by_claims): its claims are read as they are written
        stream = _claim_slices(ids[0], options, blind_for, private, tasks_of)
        first = next(stream, None)   # a filter leaves the post out when no claim matches
        claims[ids[0]] = [] if first is None else chain((first,), stream)
        if first is None and options.filters_claims:
            return
        if not options.omit_tasks:   # the claims' tasks are read with each slice of claims
            post_tasks = _task_rows((), ids)[1]
    else:
        claim_ids = list(_rows(CLAIM_IDS, ids).scalars())
        claim_tasks = None
        if not options.omit_tasks:   # every task of the batch: one query
            claim_tasks, post_tasks = _task_rows(claim_ids, ids)
        for post_id, claim in _records(claim_ids, options, blind_for, private, tasks_of, claim_tasks):
            if _matches(claim, options):
                claims[post_id].append(claim)
    history = None
    if thread and not options.omit_history:   # the posts' own history (corrections, annotate tasks)
        history = post_history(ids, tasks=not options.omit_tasks, tasks_of=tasks_of,
                               redact_emails=options.redact_emails)
    for post_id, slug, day, title, body, declared, source_name, content_hash, imported_at in posts:
        if options.filters_claims and not claims[post_id]:
            continue
        record = {"slug": slug, "date": day.isoformat(), "title": title, "body": body,
                  "declared_comment_count": declared, "source_name": source_name,
                  "content_hash": content_hash, "imported_at": ts(imported_at)}
        if history is not None:
            record["history"] = history.get(post_id, [])
        if not options.omit_tasks:
            record["tasks"] = task_records(post_tasks.get(post_id, ()), tasks_of)
        record["comments"] = comments[post_id]
        record["claims"] = claims[post_id]
        if private:
            record["_id"] = post_id
        yield record


def _claim_slices(post_id: int, options: ExportOptions, blind_for, private: bool, tasks_of=None) -> Iterator[dict]:
    """The matching claims of one post, BATCH_CLAIMS at a time, in (created_at, uid) order: the
    order is taken from those two columns of every claim of the post (sorted here, as _records
    sorts, so it is the same order), then each slice is read whole."""
    keys = sorted(tuple(row) for row in db.session.execute(select(Claim.created_at, Claim.uid, Claim.id)
                                                           .where(Claim.post_id == post_id)))
    for i in range(0, len(keys), BATCH_CLAIMS):
        for _, claim in _records([k[2] for k in keys[i:i + BATCH_CLAIMS]], options, blind_for, private, tasks_of):
            if _matches(claim, options):
                yield claim


def _matches(claim: dict, options: ExportOptions) -> bool:
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


def load_claims(claim_ids: list[int], options: ExportOptions = ExportOptions(), blind_for=None,
                private: bool = True) -> list[dict]:
    """Native records of these claims (any order in, (created_at, uid) order out), in eleven
    queries; with every task of each claim (the importer merges against them)."""
    return [record for _, record in _records(claim_ids, options, blind_for, private)]


def _records(claim_ids: list[int], options: ExportOptions, blind_for, private: bool, tasks_of=None,
             tasks: dict | None = None) -> list[tuple[int, dict]]:
    """(post id, native record) of each claim, in (created_at, uid) order. tasks: the claims'
    task rows when the caller has read them already (see _batch); else they are read here. As
    for the discussion, they are read for the history's sake even when omitted (a task's events
    name it by uid); tasks_of: whose tasks the records hold (None: everyone's)."""
    if not claim_ids:
        return []
    want_history = not options.omit_history
    if tasks is None and (want_history or not options.omit_tasks):
        tasks = _task_rows(claim_ids, ())[0]
    parts = {}
    for key, stmt in PARTS.items():
        per_claim = defaultdict(list)
        if key != "discussion" or not options.omit_discussion or want_history:
            for row in _rows(stmt, claim_ids):
                per_claim[row[0]].append(row)
        parts[key] = per_claim
    claims = _rows(CLAIMS, claim_ids).all()
    history = defaultdict(list)
    if want_history:
        for row in _rows(HISTORY, claim_ids):
            history[row[0]].append(row)
    user_ids = {c[6] for c in claims} | {c[10] for c in claims}
    for key, per_claim in parts.items():
        for i in PART_USERS[key]:
            user_ids.update(r[i] for group in per_claim.values() for r in group)
    user_ids.update(e[2] for group in history.values() for e in group)
    user_ids.discard(None)
    names = dict(_rows(USERNAMES, user_ids).all()) if user_ids else {}
    locations = _span_locations(parts["spans"], options)
    build = _Builder(names, locations, options, blind_for, private)
    no_rows = ()
    out = []
    for claim in sorted(claims, key=itemgetter(7, 1)):
        cid = claim[0]
        groups = {key: sorted(per_claim.get(cid, no_rows), key=_by_time) for key, per_claim in parts.items()}
        if tasks is not None:
            groups["tasks"] = tasks.get(cid, no_rows)
        record = build.claim(claim, groups, history.get(cid, no_rows))
        if not options.omit_tasks:
            record["tasks"] = task_records(groups["tasks"], tasks_of)
        out.append((claim[2], record))
    return out


def _span_locations(spans: dict, options) -> dict:
    """Post slug and date, comment path and position (and text when redacting) of every span."""
    post_ids = {s[4] for group in spans.values() for s in group}
    comment_ids = {s[5] for group in spans.values() for s in group if s[5]}
    posts = {row[0]: (row[1], row[2].isoformat()) for row in _rows(POST_DAYS, post_ids)} if post_ids else {}
    comments = {}
    if comment_ids:
        stmt = COMMENT_PLACES_TEXT if options.redact_emails else COMMENT_PLACES
        comments = {row[0]: row[1:] for row in _rows(stmt, comment_ids)}
    return {"posts": posts, "comments": comments}


class _Builder:
    """Builds the native record of one claim from its rows (tuples in the column orders above)."""

    def __init__(self, names: dict, locations: dict, options: ExportOptions, blind_for, private: bool):
        self.user = names.get
        self.posts, self.comments = locations["posts"], locations["comments"]
        self.options, self.blind_for, self.private = options, blind_for, private

    def claim(self, row, parts: dict, history) -> dict:
        (claim_id, uid, post_id, statement, category, version, created_by, created_at, updated_at,
         retracted_at, retracted_by, retract_reason) = row
        user, options = self.user, self.options
        verdicts, flags, adjudications = parts["verdicts"], parts["flags"], parts["adjudications"]
        current = [v for v in verdicts if v[7] is None]
        live = any(a[7] is None for a in adjudications)
        status = derive([v[5] for v in current], sum(1 for f in flags if f[6] is None), live).value
        hidden = self.blind_for is not None and not live and not any(v[4] == self.blind_for for v in current)
        record = {
            "uid": uid, "statement": statement, "category": category, "status": status, "version": version,
            "created_by": user(created_by), "created_at": ts(created_at), "updated_at": ts(updated_at),
            "retracted_at": ts(retracted_at), "retracted_by": user(retracted_by), "retract_reason": retract_reason,
            "spans": [self.span(s) for s in parts["spans"]],
            "sources": [{"uid": s_uid, "url": url, "title": title, "publisher": publisher, "quote": quote,
                         "locator": locator, "stance": stance.value,
                         "accessed": accessed.isoformat() if accessed else None, "created_by": user(by),
                         "created_at": ts(at), "retracted_at": ts(gone)}
                        for _, at, s_uid, _, url, title, publisher, quote, locator, stance, accessed, by, gone
                        in parts["sources"]],
            "verdicts": [] if hidden else [
                {"uid": v_uid, "reviewer": user(by), "rating": rating.value, "rationale": rationale,
                 "created_at": ts(at), "superseded_at": ts(superseded)}
                for _, at, v_uid, _, by, rating, rationale, superseded in verdicts],
            "flags": [] if hidden else [
                {"uid": f_uid, "created_by": user(by), "reason": reason, "created_at": ts(at),
                 "cleared_at": ts(cleared), "cleared_by": user(cleared_by)}
                for _, at, f_uid, _, by, reason, cleared, cleared_by in flags],
            "adjudications": [
                {"uid": a_uid, "lead": user(lead), "rating": rating.value, "reasoning": reasoning,
                 "created_at": ts(at), "reopened_at": ts(reopened), "reopened_by": user(reopened_by),
                 "reopen_reason": reopen_reason}
                for _, at, a_uid, _, lead, rating, reasoning, reopened, reopened_by, reopen_reason in adjudications],
        }
        if self.private:
            record["_id"] = claim_id
            record["_post_id"] = post_id
        if hidden:
            record["status"] = "blind" if status in ("agreed", "disputed") else status
        if not options.omit_discussion:
            record["discussion"] = [] if hidden else [
                {"uid": d_uid, "author": user(author), "body": text, "created_at": ts(at)}
                for _, at, d_uid, _, author, text in parts["discussion"]]
        if not options.omit_history:
            record["history"] = [] if hidden else self.history(history, claim_id, uid, parts)
        return record

    def span(self, s) -> dict:
        _, at, uid, _, post_id, comment_id, start, end, exact, prefix, suffix, by, retracted = s
        comment = self.comments.get(comment_id) if comment_id else None
        if self.options.redact_emails and comment is not None:
            text = redact(comment[2])   # re-cut from the masked text, so the quote matches it
            exact, prefix, suffix = (text[start:end], text[max(0, start - len(prefix)):start],
                                     text[end:end + len(suffix)])
        slug, day = self.posts[post_id]
        record = {"uid": uid, "post": slug, "comment": comment[0] if comment else None,
                  "start": start, "end": end, "exact": exact, "prefix": prefix, "suffix": suffix,
                  "created_by": self.user(by), "created_at": ts(at), "retracted_at": ts(retracted)}
        if self.private:
            record["_post_id"] = post_id
            record["_post_date"] = day
            record["_position"] = -1 if comment is None else comment[1]
        return record

    def history(self, events, claim_id: int, claim_uid: str, parts: dict) -> list[dict]:
        uids = {("claim", claim_id): claim_uid}
        for key, rows in parts.items():
            for r in rows:
                uids[(key, r[3])] = r[2]
        user = self.user
        out = [{"at": ts(at), "actor": user(actor), "entity_type": entity_type,
                "entity": uids.get(("claim" if (kind := ENTITY_LISTS.get(entity_type, "?")) is None else kind,
                                    entity_id)),
                "action": action, "before": _json(before), "after": _json(after), "reason": reason}
               for _, at, actor, entity_type, entity_id, action, before, after, reason in events]
        if self.options.redact_emails:
            for event in out:
                if event["entity_type"] == "span":
                    event["before"], event["after"] = self.masked(event["before"]), self.masked(event["after"])
        return out

    def masked(self, state):
        """A span's recorded quote, re-cut from the masked comment like the span itself (an
        address in a quoted comment must not survive in the history of the span)."""
        if not isinstance(state, dict) or not isinstance(state.get("exact"), str):
            return state
        comment = self.comments.get(state.get("comment_id"))
        start, end = state.get("start"), state.get("end")
        if comment is not None and isinstance(start, int) and isinstance(end, int):
            return {**state, "exact": redact(comment[2])[start:end]}
        return {**state, "exact": redact(state["exact"])}


def _json(value):
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value
