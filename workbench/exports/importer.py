"""Import a native export (JSON Lines) back into a workbench.

Into an empty database it restores every row exactly, so exporting again gives the same
bytes (backup, restore, SQLite → PostgreSQL). Into a non-empty one it merges by stable
identifiers: posts by slug, comments by path, everything else by uid. Rows already stored
are never overwritten: where the file disagrees with them the difference is reported as a
conflict and the stored row is kept. Three streaming passes over the file (check every line,
then posts and comments, then claims and tasks), all in the caller's one transaction: a
malformed line is reported with its number and the caller rolls back, so nothing changes.

Review tasks are merged like a claim's parts: a claim's tasks with the claim, a post's annotate
tasks with the post (a task is where what it is about is, so it cannot point at a missing claim
or post: a claim task on a post's line, or an annotate task in a claim, is a malformed line).
Files written before tasks were exported have no "tasks" keys and import as before.

History: a claim's events come with the claim, a post's own events (corrections of its text,
title and comments, its annotate tasks' events) with the post, after its tasks. An event is
identified by (at, entity_type, entity, action) within its claim or post: one already stored is
not added again, so a file merges into a workbench that has some of it without doubling its
history; the report counts the events added. An event that names what the line does not hold
(a correction of a comment path the post does not have, a reanchor of a span the claim does not
have, a task the post's "tasks" do not hold) is a malformed line. Files written before the
posts' history was exported have no post "history" and import as before.
"""
import json
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

from jsonschema import Draft202012Validator
from sqlalchemy import func, insert, select
from werkzeug.security import generate_password_hash

from .. import audit
from ..annotations.models import Category, Claim, ClaimSpan, Source, Verdict
from ..audit import AuditEvent
from ..auth.models import User
from ..corpus.models import Comment, Post
from ..corpus.parser import content_hash
from ..corpus.queries import stored_content_hashes
from ..extensions import db
from ..permissions import Role
from ..review.models import Adjudication, DiscussionPost, Flag
from ..tasks.models import Task
from .loader import load_claims, load_post_tasks, post_history
from .native import public

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "native-export.schema.json"
BATCH_LINES = 100
CLAIM_FIELDS = ("statement", "category", "version", "created_by", "created_at", "updated_at",
                "retracted_at", "retracted_by", "retract_reason")
# list key in a claim record → (model, how each item becomes a row; see _row)
PARTS = {"spans": ClaimSpan, "sources": Source, "verdicts": Verdict, "flags": Flag,
         "discussion": DiscussionPost, "adjudications": Adjudication, "tasks": Task}
OPEN = ("open", "in_progress")   # task states of which one person has one per claim (uq_task_open_claim)


class NativeImportError(Exception):
    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason = line, reason


@dataclass
class NativeReport:
    filename: str
    posts_added: int = 0
    posts_unchanged: int = 0
    claims_added: int = 0
    claims_merged: int = 0
    parts_added: int = 0
    tasks_added: int = 0       # review tasks, of posts and of claims (not counted in parts_added)
    events_added: int = 0      # history events, of claims and of posts (the import's own event aside)
    users_created: list[str] = field(default_factory=list)
    categories_created: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.posts_added} posts added, {self.posts_unchanged} already there; "
                f"{self.claims_added} claims added, {self.claims_merged} merged "
                f"({self.parts_added} parts added); {self.tasks_added} tasks added; "
                f"{self.events_added} history events added; {len(self.conflicts)} conflicts")


def _inline(node, defs):
    """The schema with every local $ref replaced by its definition: the same rules, checked
    without a reference lookup per value (several times faster on a large file)."""
    if isinstance(node, dict):
        if set(node) == {"$ref"} and node["$ref"].startswith("#/$defs/"):
            return _inline(defs[node["$ref"].rsplit("/", 1)[1]], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text())
    return Draft202012Validator(_inline(schema, schema["$defs"]))


def _where(error) -> str:
    parts = []
    for p in error.absolute_path:
        parts.append(f"[{p}]" if isinstance(p, int) else (("." if parts else "") + str(p)))
    return "".join(parts) or "(the line)"


def _explain(error) -> str:
    """The schema's message, said plainly where a task is not where what it is about is."""
    path = list(error.absolute_path)
    if path[-1:] == ["kind"] and error.instance in ("annotate_post", "check_claim", "adjudicate_claim"):
        if path[0] == "tasks":
            return (f"{error.instance} is a claim's task: it belongs in that claim's \"tasks\", "
                    "not the post's (no claim is named here)")
        if path[0] == "claims":
            return ("an annotate_post task is about the post: it belongs in the post's own \"tasks\", "
                    "not a claim's")
    return error.message


def read_lines(path) -> Iterator[tuple[int, dict]]:
    """(line number, record) for every non-blank line; a line that is not a JSON object raises."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise NativeImportError(number, "not UTF-8 text")
            except ValueError as exc:
                raise NativeImportError(number, f"not JSON ({exc.msg} at column {exc.colno})")
            if not isinstance(record, dict):
                raise NativeImportError(number, "not a JSON object (one post per line)")
            yield number, record


def check_file(path) -> int:
    """Pass 1: every line against the schema, slugs and uids unique in the file. Returns the line count."""
    slugs, uids, n = set(), set(), 0
    for number, record in read_lines(path):
        error = next(iter(sorted(validator().iter_errors(record), key=lambda e: list(e.absolute_path))), None)
        if error is not None:
            raise NativeImportError(number, f"{_where(error)}: {_explain(error)}")
        if record["slug"] in slugs:
            raise NativeImportError(number, f"post {record['slug']} appears twice in the file")
        slugs.add(record["slug"])
        paths = set()
        for c in record["comments"]:
            parent = c["path"].rsplit(".", 1)[0] if "." in c["path"] else None
            if c["path"] in paths or c["parent"] != parent or (parent is not None and parent not in paths):
                raise NativeImportError(number, f"comment {c['path']}: duplicate, wrong parent, "
                                                "or its parent comes later")
            paths.add(c["path"])
        for uid in [t["uid"] for t in record.get("tasks", [])]:
            if uid in uids:
                raise NativeImportError(number, f"uid {uid} appears twice in the file")
            uids.add(uid)
        for i, claim in enumerate(record["claims"]):
            _check_claim_history(number, i, claim)
            current = [v["reviewer"] for v in claim["verdicts"] if v["superseded_at"] is None]
            if len(current) != len(set(current)):
                raise NativeImportError(number, f"claim {claim['uid']}: two current verdicts by one reviewer")
            if sum(a["reopened_at"] is None for a in claim["adjudications"]) > 1:
                raise NativeImportError(number, f"claim {claim['uid']}: two live adjudications")
            active = [(t["kind"], t["assignee"]) for t in claim.get("tasks", []) if t["status"] in OPEN]
            if len(active) != len(set(active)):
                raise NativeImportError(number, f"claim {claim['uid']}: two open tasks of one kind for one person")
            for uid in [claim["uid"]] + [p["uid"] for key in PARTS for p in claim.get(key, [])]:
                if uid in uids:
                    raise NativeImportError(number, f"uid {uid} appears twice in the file")
                uids.add(uid)
        _check_post_history(number, record, paths)
        n += 1
    return n


def _check_post_history(number: int, record: dict, paths: set) -> None:
    """A post's events are about this post, one of its comments or one of its annotate tasks."""
    tasks = {t["uid"] for t in record.get("tasks", [])}
    for i, e in enumerate(record.get("history", [])):
        kind, entity, where = e["entity_type"], e["entity"], f"history[{i}]: a {e['action']} event"
        if kind == "post" and entity != record["slug"]:
            raise NativeImportError(number, f"{where} of post {entity}, which is not this line's post "
                                            f"({record['slug']})")
        if kind == "comment" and entity not in paths:
            raise NativeImportError(number, f"{where} of comment {entity}, which is not among the post's comments")
        if kind == "task" and entity not in tasks:
            raise NativeImportError(number, f"{where} of task {entity}, which is not among the post's tasks")


def _check_claim_history(number: int, index: int, claim: dict) -> None:
    """A claim's span events (a reanchor above all) are about one of the claim's spans."""
    spans = {s["uid"] for s in claim["spans"]}
    for i, e in enumerate(claim.get("history", [])):
        if e["entity_type"] in ("span", "claim_span") and e["entity"] is not None and e["entity"] not in spans:
            raise NativeImportError(number, f"claims[{index}].history[{i}]: claim {claim['uid']}: a {e['action']} "
                                            f"event of span {e['entity']}, which is not one of the claim's spans")


def _ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.removesuffix("Z"))


def _batches(path, size=BATCH_LINES):
    batch = []
    for item in read_lines(path):
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def import_native(path, progress: Callable[[int, int], None] | None = None) -> NativeReport:
    """Import one native export into the session's transaction (the caller commits or rolls back)."""
    report = NativeReport(str(path))
    total = check_file(path)
    ctx = _Context(report)
    conflicted: set[str] = set()
    for batch in _batches(path):
        _import_posts(batch, report, conflicted)
    done = 0
    for batch in _batches(path):
        _import_claims(batch, ctx, conflicted)
        _import_post_tasks(batch, ctx, conflicted)
        _import_post_history(batch, ctx, conflicted)
        done += len(batch)
        if progress:
            progress(done, total)
    audit.record(None, "import", 0, "import_native", after={"file": Path(path).name, "summary": report.summary()})
    db.session.flush()
    return report


class _Context:
    """Users and categories by name, created on first need (few, so held for the whole import)."""

    def __init__(self, report: NativeReport):
        self.report = report
        self.users: dict[str, int] = {}
        self.categories: dict[str, int] = {}

    def user(self, username: str | None) -> int | None:
        if username is None:
            return None
        if username not in self.users:
            uid = db.session.scalar(select(User.id).where(User.username == username))
            if uid is None:
                # A stranger to this workbench: kept as an inactive account nobody can log in to.
                user = User(username=username, password_hash=generate_password_hash(secrets.token_hex(32)),
                            role=Role.REVIEWER, active=False)
                db.session.add(user)
                db.session.flush()
                uid = user.id
                self.report.users_created.append(username)
            self.users[username] = uid
        return self.users[username]

    def category(self, name: str) -> int:
        if name not in self.categories:
            cid = db.session.scalar(select(Category.id).where(Category.name == name))
            if cid is None:
                position = (db.session.scalar(select(func.max(Category.position))) or 0) + 1
                cat = Category(name=name, position=position)
                db.session.add(cat)
                db.session.flush()
                cid = cat.id
                self.report.categories_created.append(name)
            self.categories[name] = cid
        return self.categories[name]


def _import_posts(batch, report: NativeReport, conflicted: set[str]) -> None:
    """Pass 2: new posts with their comments; a stored post whose text differs is a conflict."""
    slugs = [r["slug"] for _, r in batch]
    stored = dict(db.session.execute(select(Post.slug, Post.content_hash).where(Post.slug.in_(slugs))).all())
    # A hash made with the formula used before November 2026, on either side, is not a change:
    # those posts are hashed again from their content (two queries for the batch).
    differ = [r for _, r in batch if r["slug"] in stored and stored[r["slug"]] != r["content_hash"]]
    rehashed = stored_content_hashes([r["slug"] for r in differ])
    new = []
    for number, r in batch:
        if r["slug"] not in stored:
            new.append(r)
        elif stored[r["slug"]] == r["content_hash"] or rehashed[r["slug"]] == content_hash(
                date.fromisoformat(r["date"]), r["title"], r["body"], r["declared_comment_count"],
                [(c["path"], c["text"]) for c in r["comments"]]):
            report.posts_unchanged += 1
        else:
            conflicted.add(r["slug"])
            report.conflicts.append(f"line {number}: post {r['slug']}: the stored text differs; "
                                    "kept the stored post and skipped its claims, tasks and history")
    if not new:
        return
    ids = db.session.execute(insert(Post).returning(Post.id, sort_by_parameter_order=True), [
        dict(slug=r["slug"], date=date.fromisoformat(r["date"]), title=r["title"], body=r["body"],
             declared_comment_count=r["declared_comment_count"], comment_count=len(r["comments"]),
             source_name=r["source_name"], content_hash=r["content_hash"], imported_at=_ts(r["imported_at"]))
        for r in new]).scalars().all()
    parent_ids: dict[tuple[int, str], int] = {}
    depth = 0
    while True:
        rows, keys = [], []
        for post_id, r in zip(ids, new):
            for position, c in enumerate(r["comments"]):
                if c["path"].count(".") != depth:
                    continue
                rows.append(dict(post_id=post_id, path=c["path"], position=position, depth=depth, text=c["text"],
                                 parent_id=parent_ids[(post_id, c["parent"])] if c["parent"] else None))
                keys.append((post_id, c["path"]))
        if not rows:
            break
        new_ids = db.session.execute(insert(Comment).returning(Comment.id, sort_by_parameter_order=True),
                                     rows).scalars().all()
        parent_ids.update(zip(keys, new_ids))
        depth += 1
    report.posts_added += len(new)


def _import_claims(batch, ctx: _Context, conflicted: set[str]) -> None:
    """Pass 3: claims of one batch of lines, a fixed number of queries plus the inserts."""
    items = [(number, r["slug"], c) for number, r in batch if r["slug"] not in conflicted for c in r["claims"]]
    if not items:
        return
    units = _units({s["post"] for _, _, c in items for s in c["spans"]} | {slug for _, slug, _ in items})
    stored_ids = dict(db.session.execute(select(Claim.uid, Claim.id).where(Claim.uid.in_([c["uid"] for _, _, c in items]))).all())
    stored = {c["uid"]: c for c in load_claims(list(stored_ids.values()))}
    part_uids = [p["uid"] for _, _, c in items for key in PARTS for p in c.get(key, [])]
    known: dict[str, tuple[str, int, int]] = {}   # uid → (list key, id, claim id) of parts already stored
    for key, model in PARTS.items():
        for uid, row_id, claim_id in db.session.execute(select(model.uid, model.id, model.claim_id)
                                                         .where(model.uid.in_(part_uids))):
            known[uid] = (key, row_id, claim_id)
    new = []
    for number, slug, claim in items:
        for s in claim["spans"]:
            _check_span(number, claim["uid"], s, units)
        if claim["uid"] in stored:
            _merge_claim(number, claim, stored[claim["uid"]], stored_ids[claim["uid"]], known, units, ctx)
        else:
            new.append((number, slug, claim))
    if new:
        _insert_new_claims(new, known, units, ctx)


def _insert_new_claims(new, known: dict, units: dict, ctx: _Context) -> None:
    """Claims not stored yet, with all their parts and history: one INSERT per table per batch."""
    table = Claim.__table__   # Core, not the ORM: the ORM would restart the version counter at 1
    claim_ids = db.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), [dict(
        uid=c["uid"], post_id=units[(slug, None)][0], statement=c["statement"], category_id=ctx.category(c["category"]),
        created_by_id=ctx.user(c["created_by"]), created_at=_ts(c["created_at"]), updated_at=_ts(c["updated_at"]),
        version=c["version"], retracted_at=_ts(c["retracted_at"]), retracted_by_id=ctx.user(c["retracted_by"]),
        retract_reason=c["retract_reason"]) for _, slug, c in new]).scalars().all()
    ids = {c["uid"]: cid for (_, _, c), cid in zip(new, claim_ids)}
    for key, model in PARTS.items():
        rows = []
        for (number, slug, c), cid in zip(new, claim_ids):
            for p in c.get(key, []):
                if p["uid"] in known:
                    ctx.report.conflicts.append(f"line {number}: claim {c['uid']}: {p['uid']} belongs to another "
                                                "claim in this workbench; skipped")
                    continue
                rows.append(_row(key, p, cid, units, ctx, units[(slug, None)][0]))
        if rows:
            t = model.__table__
            new_ids = db.session.execute(insert(t).returning(t.c.id, sort_by_parameter_order=True), rows).scalars().all()
            ids.update(zip((r["uid"] for r in rows), new_ids))
            if key == "tasks":
                ctx.report.tasks_added += len(rows)
    history = [row for (_, _, c), cid in zip(new, claim_ids) for row in _history_rows(c, cid, [], ids, ctx)]
    if history:
        db.session.execute(insert(AuditEvent.__table__), history)
        ctx.report.events_added += len(history)
    ctx.report.claims_added += len(new)


def _units(slugs) -> dict:
    """(slug, comment path or None) → (post id, comment id or None, text) for these posts."""
    slugs = list(slugs)
    out = {}
    for pid, slug, body in db.session.execute(select(Post.id, Post.slug, Post.body).where(Post.slug.in_(slugs))):
        out[(slug, None)] = (pid, None, body)
    by_id = {v[0]: k[0] for k, v in out.items()}
    for cid, pid, path, text in db.session.execute(select(Comment.id, Comment.post_id, Comment.path, Comment.text)
                                                   .where(Comment.post_id.in_(list(by_id)))):
        out[(by_id[pid], path)] = (pid, cid, text)
    return out


def _check_span(number: int, claim_uid: str, s: dict, units: dict) -> None:
    unit = units.get((s["post"], s["comment"]))
    where = s["post"] + ("" if s["comment"] is None else f" comment {s['comment']}")
    if unit is None:
        raise NativeImportError(number, f"claim {claim_uid}: span {s['uid']} is on {where}, "
                                        "which is neither in the file nor in the workbench")
    if unit[2][s["start"]:s["end"]] != s["exact"] or s["end"] <= s["start"]:
        raise NativeImportError(number, f"claim {claim_uid}: span {s['uid']} does not match the text of {where}")


def _row(key: str, p: dict, claim_id: int, units: dict, ctx: _Context, post_id: int | None = None) -> dict:
    """The row of one item of a claim's list; post_id: the claim's post (tasks keep it too)."""
    if key == "tasks":
        return _task_row(p, post_id, claim_id, ctx)
    row = {"uid": p["uid"], "claim_id": claim_id, "created_at": _ts(p["created_at"])}
    if key == "spans":
        post_id, comment_id, _ = units[(p["post"], p["comment"])]
        row.update(post_id=post_id, comment_id=comment_id, start=p["start"], end=p["end"], exact=p["exact"],
                   prefix=p["prefix"], suffix=p["suffix"], created_by_id=ctx.user(p["created_by"]),
                   retracted_at=_ts(p["retracted_at"]))
    elif key == "sources":
        row.update(url=p["url"], title=p["title"], publisher=p["publisher"], quote=p["quote"], locator=p["locator"],
                   stance=p["stance"], accessed=date.fromisoformat(p["accessed"]) if p["accessed"] else None,
                   created_by_id=ctx.user(p["created_by"]), retracted_at=_ts(p["retracted_at"]))
    elif key == "verdicts":
        row.update(reviewer_id=ctx.user(p["reviewer"]), rating=p["rating"], rationale=p["rationale"],
                   superseded_at=_ts(p["superseded_at"]))
    elif key == "flags":
        row.update(created_by_id=ctx.user(p["created_by"]), reason=p["reason"], cleared_at=_ts(p["cleared_at"]),
                   cleared_by_id=ctx.user(p["cleared_by"]))
    elif key == "discussion":
        row.update(author_id=ctx.user(p["author"]), body=p["body"])
    else:
        row.update(lead_id=ctx.user(p["lead"]), rating=p["rating"], reasoning=p["reasoning"],
                   reopened_at=_ts(p["reopened_at"]), reopened_by_id=ctx.user(p["reopened_by"]),
                   reopen_reason=p["reopen_reason"])
    return row


def _task_row(p: dict, post_id: int, claim_id: int | None, ctx: _Context) -> dict:
    """Core insert, not the ORM: the version is the file's, not a counter restarted at 1."""
    return dict(uid=p["uid"], kind=p["kind"], post_id=post_id, claim_id=claim_id, assignee_id=ctx.user(p["assignee"]),
                created_by_id=ctx.user(p["created_by"]),
                due_date=date.fromisoformat(p["due_date"]) if p["due_date"] else None, priority=p["priority"],
                notes=p["notes"], status=p["status"], version=p["version"], created_at=_ts(p["created_at"]),
                updated_at=_ts(p["updated_at"]), completed_at=_ts(p["completed_at"]),
                archived_at=_ts(p["archived_at"]))


def _task_clash(p: dict, stored_tasks) -> bool:
    """An open task for someone who already has an open task of that kind for the same thing here
    (the database allows one per claim, the task pages one per post)."""
    return p["status"] in OPEN and any(t["kind"] == p["kind"] and t["assignee"] == p["assignee"]
                                       and t["status"] in OPEN for t in stored_tasks)


def _import_post_tasks(batch, ctx: _Context, conflicted: set[str]) -> None:
    """Pass 3, after the claims of the batch: the posts' annotate tasks, merged by uid like parts."""
    items = [(number, r["slug"], t) for number, r in batch if r["slug"] not in conflicted for t in r.get("tasks", [])]
    if not items:
        return
    posts = dict(db.session.execute(select(Post.slug, Post.id).where(Post.slug.in_({s for _, s, _ in items}))).all())
    known = {uid: (post_id, claim_id) for uid, post_id, claim_id in db.session.execute(
        select(Task.uid, Task.post_id, Task.claim_id).where(Task.uid.in_([t["uid"] for _, _, t in items])))}
    stored = load_post_tasks(list(posts.values()))
    rows = []
    for number, slug, t in items:
        post_id = posts[slug]
        mine = {s["uid"]: s for s in stored.get(post_id, [])}
        where = f"line {number}: post {slug}: task {t['uid']}"
        if t["uid"] in mine:
            if mine[t["uid"]] != t:
                ctx.report.conflicts.append(f"{where} differs from the stored one; kept the stored one")
        elif t["uid"] in known:
            ctx.report.conflicts.append(f"{where} belongs to another post or claim in this workbench; skipped")
        elif _task_clash(t, mine.values()):
            ctx.report.conflicts.append(f"{where}: {t['assignee']} already has an open {t['kind']} task for it "
                                        "here; kept the stored one")
        else:
            rows.append(_task_row(t, post_id, None, ctx))
    if rows:
        db.session.execute(insert(Task.__table__), rows)
        ctx.report.tasks_added += len(rows)


def _insert_parts(number, claim: dict, claim_id: int, existing: dict, known: dict, units: dict, ctx) -> None:
    """Parts not stored yet are added; a stored part that differs is a conflict, kept as stored."""
    ids = {claim["uid"]: claim_id}
    ids.update({uid: row_id for uid, (_, row_id, cid) in known.items() if cid == claim_id})
    for key, model in PARTS.items():
        mine = {p["uid"]: p for p in existing.get(key, [])}
        rows = []
        for p in claim.get(key, []):
            if p["uid"] in mine:
                if public(mine[p["uid"]]) != p:
                    ctx.report.conflicts.append(f"line {number}: claim {claim['uid']}: {key[:-1] if key != 'discussion' else 'discussion post'} "
                                                f"{p['uid']} differs from the stored one; kept the stored one")
                continue
            if p["uid"] in known:
                ctx.report.conflicts.append(f"line {number}: claim {claim['uid']}: {p['uid']} belongs to another "
                                            "claim in this workbench; skipped")
                continue
            if key == "verdicts" and p["superseded_at"] is None and any(
                    v["reviewer"] == p["reviewer"] and v["superseded_at"] is None for v in mine.values()):
                ctx.report.conflicts.append(f"line {number}: claim {claim['uid']}: {p['reviewer']} already has a "
                                            "different current verdict; kept the stored one")
                continue
            if key == "adjudications" and p["reopened_at"] is None and any(
                    a["reopened_at"] is None for a in mine.values()):
                ctx.report.conflicts.append(f"line {number}: claim {claim['uid']}: already adjudicated here "
                                            "differently; kept the stored adjudication")
                continue
            if key == "tasks" and _task_clash(p, mine.values()):
                ctx.report.conflicts.append(f"line {number}: claim {claim['uid']}: task {p['uid']}: {p['assignee']} "
                                            f"already has an open {p['kind']} task for it here; kept the stored one")
                continue
            rows.append(_row(key, p, claim_id, units, ctx, existing.get("_post_id")))
        if rows:
            t = model.__table__
            new_ids = db.session.execute(insert(t).returning(t.c.id, sort_by_parameter_order=True),
                                         rows).scalars().all()
            ids.update(zip((r["uid"] for r in rows), new_ids))
            if key == "tasks":
                ctx.report.tasks_added += len(rows)
            elif existing:
                ctx.report.parts_added += len(rows)
    _insert_history(claim, claim_id, existing.get("history", []), ids, ctx)


def _insert_history(claim: dict, claim_id: int, stored: list, ids: dict, ctx: _Context) -> None:
    rows = _history_rows(claim, claim_id, stored, ids, ctx)
    if rows:
        db.session.execute(insert(AuditEvent.__table__), rows)
        ctx.report.events_added += len(rows)


def _event_key(e: dict) -> tuple:
    """An event's identity in the export (documented in the schema): within its claim or post."""
    return (e["at"], e["entity_type"], e["entity"], e["action"])


def _event_row(e: dict, entity_id: int, claim_id: int | None, ctx: _Context) -> dict:
    """The audit row of an exported event, its JSON encoded as audit.record encodes it."""
    return dict(at=_ts(e["at"]), actor_id=ctx.user(e["actor"]), entity_type=e["entity_type"], entity_id=entity_id,
                action=e["action"], claim_id=claim_id,
                before=None if e["before"] is None else json.dumps(e["before"], sort_keys=True, default=str),
                after=None if e["after"] is None else json.dumps(e["after"], sort_keys=True, default=str),
                reason=e["reason"])


def _import_post_history(batch, ctx: _Context, conflicted: set[str]) -> None:
    """Pass 3, after the posts' tasks: each post's own events not stored yet (by _event_key), with
    the post, comment and task named in the file as their ids here."""
    items = [(number, r) for number, r in batch if r["slug"] not in conflicted and r.get("history")]
    if not items:
        return
    slugs = [r["slug"] for _, r in items]
    posts = dict(db.session.execute(select(Post.slug, Post.id).where(Post.slug.in_(slugs))).all())
    ids = list(posts.values())
    comments = {(post_id, path): cid for cid, post_id, path in db.session.execute(
        select(Comment.id, Comment.post_id, Comment.path).where(Comment.post_id.in_(ids)))}
    tasks = {(post_id, uid): tid for tid, post_id, uid in db.session.execute(
        select(Task.id, Task.post_id, Task.uid).where(Task.post_id.in_(ids), Task.claim_id.is_(None)))}
    stored = post_history(ids)
    rows = []
    for number, r in items:
        post_id = posts[r["slug"]]
        have = {_event_key(e) for e in stored.get(post_id, [])}
        for e in r["history"]:
            if _event_key(e) in have:
                continue
            kind = e["entity_type"]
            named = comments if kind == "comment" else tasks
            entity_id = post_id if kind == "post" else named.get((post_id, e["entity"]))
            if entity_id is None:   # a task this import skipped (its conflict is reported above)
                ctx.report.conflicts.append(f"line {number}: post {r['slug']}: the {e['action']} event of {kind} "
                                            f"{e['entity']} at {e['at']}: no such {kind} of this post here; skipped")
                continue
            rows.append(_event_row(e, entity_id, None, ctx))
    if rows:
        db.session.execute(insert(AuditEvent.__table__), rows)
        ctx.report.events_added += len(rows)


def _history_rows(claim: dict, claim_id: int, stored: list, ids: dict, ctx: _Context) -> list[dict]:
    """Events of the file not already stored (same time, entity and action), entity uids as ids here."""
    key = _event_key
    have = {key(e) for e in stored}
    # an event whose entity the file does not name (an older export's task events) is the
    # stored event of the same time, kind and action
    have |= {(e["at"], e["entity_type"], None, e["action"]) for e in stored}
    return [_event_row(e, ids.get(e["entity"], 0) if e["entity"] else 0, claim_id, ctx)
            for e in claim.get("history", []) if key(e) not in have]


def _merge_claim(number, claim: dict, stored: dict, claim_id: int, known: dict, units: dict, ctx) -> None:
    differs = [f for f in CLAIM_FIELDS if stored[f] != claim[f]]
    if differs:
        ctx.report.conflicts.append(f"line {number}: claim {claim['uid']}: the stored claim differs "
                                    f"({', '.join(differs)}); kept the stored one")
    _insert_parts(number, claim, claim_id, stored, known, units, ctx)
    ctx.report.claims_merged += 1
