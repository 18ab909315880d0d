"""Operations on tasks: create, edit, the named status transitions, reassign, cancel and restore.

Every operation checks permission, refuses an illegal move, writes an audit event and flushes;
the caller commits once. Nothing is deleted: a cancelled task is archived and can be restored.
Below them: bulk assignment (posts round-robin or by weight; each claim checked by N reviewers),
the queue and the team figures.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit, versioning
from ..annotations.models import Claim
from ..auth.models import User
from ..corpus.models import Post
from ..db import utcnow
from ..errors import Conflict, Forbidden, NotFound, ValidationError
from ..extensions import db
from ..permissions import Permission, can, require
from .models import Task, TaskKind, TaskStatus

ACTIVE = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)
PRIORITIES = {1: "high", 2: "normal", 3: "low"}

# name → (states it may start from, state it leads to, needs the ASSIGN permission)
TRANSITIONS = {
    "start": ({TaskStatus.OPEN}, TaskStatus.IN_PROGRESS, False),
    "complete": ({TaskStatus.OPEN, TaskStatus.IN_PROGRESS}, TaskStatus.DONE, False),
    "reopen": ({TaskStatus.DONE}, TaskStatus.OPEN, False),
    "cancel": ({TaskStatus.OPEN, TaskStatus.IN_PROGRESS}, TaskStatus.CANCELLED, True),
    "restore": ({TaskStatus.CANCELLED}, TaskStatus.OPEN, True),
}


@dataclass
class TaskIn:
    kind: TaskKind
    assignee_id: int
    post_id: int | None = None
    claim_id: int | None = None
    due_date: date | None = None
    priority: int = 2
    notes: str = ""


def snapshot(task: Task) -> dict:
    return {"kind": task.kind.value, "post_id": task.post_id, "claim_id": task.claim_id,
            "assignee_id": task.assignee_id, "status": task.status.value,
            "due_date": task.due_date.isoformat() if task.due_date else None,
            "priority": task.priority, "notes": task.notes, "archived": task.archived_at is not None}


def get_task(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFound(f"No task {task_id}.")
    return task


def check_version(task: Task, version, required: bool = True) -> None:
    if version is None and not required:
        return
    versioning.check_version(task, version, "task")


def _save(task: Task) -> None:
    versioning.save_versioned(task, "task")


def assignable_user(user_id) -> User:
    """Anyone active who may give verdicts can be assigned work."""
    user = db.session.get(User, user_id) if isinstance(user_id, int) and not isinstance(user_id, bool) else None
    if user is None or not user.active:
        raise ValidationError("The assignee must be an active user.", field="assignee_id")
    if not can(user, Permission.VERDICT):
        raise ValidationError(f"{user.username} may not review claims.", field="assignee_id")
    return user


def _check_target(data: TaskIn) -> None:
    if data.kind is TaskKind.ANNOTATE_POST:
        if data.post_id is None or db.session.get(Post, data.post_id) is None:
            raise ValidationError("An annotate_post task needs an existing post_id.", field="post_id")
        data.claim_id = None
        return
    claim = db.session.get(Claim, data.claim_id) if data.claim_id is not None else None
    if claim is None:
        raise ValidationError(f"A {data.kind.value} task needs an existing claim_id.", field="claim_id")
    if claim.retracted_at is not None:
        raise Conflict("The claim is retracted; restore it first.", field="claim_id")
    data.post_id = claim.post_id
    if data.kind is TaskKind.CHECK_CLAIM and claim.created_by_id == data.assignee_id:
        raise ValidationError("A claim is never checked by its own author.", field="assignee_id")
    if data.kind is TaskKind.ADJUDICATE_CLAIM:
        assignee = db.session.get(User, data.assignee_id)
        if not can(assignee, Permission.ADJUDICATE):
            raise ValidationError(f"{assignee.username} may not adjudicate.", field="assignee_id")


def open_task_for(kind: TaskKind, assignee_id: int, *, claim_id=None, post_id=None) -> Task | None:
    stmt = select(Task).where(Task.kind == kind, Task.assignee_id == assignee_id, Task.status.in_(ACTIVE))
    stmt = stmt.where(Task.claim_id == claim_id) if claim_id is not None else stmt.where(Task.post_id == post_id)
    return db.session.scalar(stmt.order_by(Task.id))


def create_task(actor, data: TaskIn) -> Task:
    require(actor, Permission.ASSIGN)
    assignable_user(data.assignee_id)
    _check_target(data)
    if open_task_for(data.kind, data.assignee_id, claim_id=data.claim_id,
                     post_id=None if data.claim_id else data.post_id):
        raise Conflict("This person already has an open task of this kind for it.", field="assignee_id")
    task = Task(kind=data.kind, post_id=data.post_id, claim_id=data.claim_id, assignee_id=data.assignee_id,
                created_by_id=actor.id, due_date=data.due_date, priority=data.priority, notes=data.notes)
    try:
        with db.session.begin_nested():
            db.session.add(task)
            db.session.flush()
    except IntegrityError:  # the same task made at the same moment by someone else (uq_task_open_claim)
        raise Conflict("This person was given this task at the same moment by someone else.", field="assignee_id")
    audit.record(actor, "task", task.id, "create", after=snapshot(task), claim_id=task.claim_id)
    return task


def update_task(actor, task: Task, version, changes: dict, reason: str | None = None) -> Task:
    """Edit due date, priority, notes or assignee (a reassignment); the version guards lost updates."""
    require(actor, Permission.ASSIGN)
    check_version(task, version)
    if task.archived_at is not None:
        raise Conflict("The task is cancelled; restore it first.")
    before = snapshot(task)
    if "assignee_id" in changes and changes["assignee_id"] != task.assignee_id:
        assignable_user(changes["assignee_id"])
        probe = TaskIn(kind=task.kind, assignee_id=changes["assignee_id"], post_id=task.post_id,
                       claim_id=task.claim_id)
        _check_target(probe)
        if task.status in ACTIVE and open_task_for(task.kind, probe.assignee_id, claim_id=task.claim_id,
                                                   post_id=None if task.claim_id else task.post_id):
            raise Conflict("The new assignee already has an open task of this kind for it.", field="assignee_id")
        task.assignee_id = changes["assignee_id"]
    for key in ("due_date", "priority", "notes"):
        if key in changes:
            setattr(task, key, changes[key])
    after = snapshot(task)
    if after == before:
        return task
    _save(task)
    action = "reassign" if after["assignee_id"] != before["assignee_id"] else "update"
    audit.record(actor, "task", task.id, action, before=before, after=after, reason=reason, claim_id=task.claim_id)
    return task


def transition(actor, task: Task, name: str, version=None, reason: str | None = None) -> Task:
    """Move a task along: start, complete, reopen (assignee or a lead); cancel, restore (a lead)."""
    if name not in TRANSITIONS:
        raise NotFound(f"No task action {name!r}.")
    sources, target, lead_only = TRANSITIONS[name]
    if lead_only or task.assignee_id != actor.id:
        if not can(actor, Permission.ASSIGN):
            raise Forbidden("Only the assignee or a lead may move this task." if not lead_only
                            else "Only a lead may cancel or restore a task.")
    check_version(task, version, required=False)
    if task.status not in sources:
        raise Conflict(f"A task that is {task.status.value.replace('_', ' ')} cannot be {_past(name)}.",
                       field="status")
    before = snapshot(task)
    task.status = target
    task.completed_at = utcnow() if target is TaskStatus.DONE else None
    task.archived_at = utcnow() if target is TaskStatus.CANCELLED else None
    _save(task)
    audit.record(actor, "task", task.id, name, before=before, after=snapshot(task), reason=reason,
                 claim_id=task.claim_id)
    return task


def _past(name: str) -> str:
    return {"start": "started", "complete": "completed", "reopen": "reopened", "cancel": "cancelled",
            "restore": "restored"}[name]


def start_task(actor, task, version=None):
    return transition(actor, task, "start", version)


def complete_task(actor, task, version=None):
    return transition(actor, task, "complete", version)


def reopen_task(actor, task, version=None, reason=None):
    return transition(actor, task, "reopen", version, reason)


def cancel_task(actor, task, version=None, reason=None):
    return transition(actor, task, "cancel", version, reason)


def restore_task(actor, task, version=None, reason=None):
    return transition(actor, task, "restore", version, reason)


def complete_open_tasks(actor, kind: TaskKind, claim_id: int, assignee_id: int) -> None:
    """Work that an action finishes (an adjudication finishes the lead's adjudicate task)."""
    for task in db.session.scalars(select(Task).where(Task.kind == kind, Task.claim_id == claim_id,
                                                      Task.assignee_id == assignee_id,
                                                      Task.status.in_(ACTIVE))):
        transition(actor, task, "complete")


# ---- bulk assignment -------------------------------------------------------------------------

@dataclass
class PostSelection:
    date_from: date | None = None
    date_to: date | None = None
    title: str | None = None
    post_ids: list[int] | None = None


@dataclass
class BulkResult:
    created: list[Task]
    skipped: list[dict]

    def summary(self) -> str:
        return f"{len(self.created)} task{'s' if len(self.created) != 1 else ''} created, {len(self.skipped)} skipped"


def select_posts(sel: PostSelection) -> list[Post]:
    stmt = select(Post)
    if sel.post_ids:
        stmt = stmt.where(Post.id.in_(sel.post_ids))
    if sel.date_from:
        stmt = stmt.where(Post.date >= sel.date_from)
    if sel.date_to:
        stmt = stmt.where(Post.date <= sel.date_to)
    if sel.title:
        pattern = sel.title.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Post.title.ilike(f"%{pattern}%", escape="\\"))
    return list(db.session.scalars(stmt.order_by(Post.date, Post.id)))


def _reviewers(reviewer_ids: list[int], weights: dict | None) -> list[tuple[User, float]]:
    if not reviewer_ids:
        raise ValidationError("Choose at least one reviewer.", field="reviewers")
    out, seen = [], set()
    for rid in reviewer_ids:
        if rid in seen:
            continue
        seen.add(rid)
        user = assignable_user(rid)
        weight = (weights or {}).get(rid, 1)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 1000:
            raise ValidationError("A weight is a number above 0 (at most 1000).", field="weights")
        out.append((user, float(weight)))
    return out


def _open_load(user_ids) -> dict[int, int]:
    from sqlalchemy import func
    rows = db.session.execute(select(Task.assignee_id, func.count()).where(
        Task.assignee_id.in_(user_ids), Task.status.in_(ACTIVE)).group_by(Task.assignee_id))
    load = {uid: 0 for uid in user_ids}
    load.update({uid: n for uid, n in rows})
    return load


def _pick(candidates: list[tuple[User, float]], given: dict[int, int]) -> User:
    """The candidate furthest below their share: least (given + 1) / weight; ties by list order.
    With equal weights this is round-robin."""
    return min(enumerate(candidates), key=lambda ic: ((given[ic[1][0].id] + 1) / ic[1][1], ic[0]))[1][0]


def bulk_assign_posts(actor, sel: PostSelection, reviewer_ids: list[int], weights: dict | None = None, *,
                      due_date=None, priority: int = 2, notes: str = "") -> BulkResult:
    """One annotate_post task per selected post, spread round-robin or by weight. A post that
    already has an open annotate task is skipped, so running it twice creates nothing new."""
    require(actor, Permission.ASSIGN)
    reviewers = _reviewers(reviewer_ids, weights)
    posts = select_posts(sel)
    busy = set(db.session.scalars(select(Task.post_id).where(
        Task.kind == TaskKind.ANNOTATE_POST, Task.status.in_(ACTIVE), Task.post_id.in_([p.id for p in posts]))))
    given = {u.id: 0 for u, _ in reviewers}
    result = BulkResult([], [])
    for post in posts:
        if post.id in busy:
            result.skipped.append({"post_id": post.id, "reason": "already has an open annotate task"})
            continue
        user = _pick(reviewers, given)
        given[user.id] += 1
        result.created.append(create_task(actor, TaskIn(TaskKind.ANNOTATE_POST, user.id, post_id=post.id,
                                                        due_date=due_date, priority=priority, notes=notes)))
    return result


def claims_of_posts(post_ids: list[int]) -> list[int]:
    return list(db.session.scalars(select(Claim.id).where(Claim.post_id.in_(post_ids), Claim.retracted_at.is_(None))
                                   .order_by(Claim.id)))


def assign_checks(actor, claim_ids: list[int], reviewer_ids: list[int], per_claim: int, *,
                  due_date=None, priority: int = 2, notes: str = "") -> BulkResult:
    """Each claim checked by `per_claim` reviewers: check_claim tasks for the chosen reviewers,
    never the claim's author, least-loaded first. Reviewers who already hold a (non-cancelled)
    check task or a current verdict on the claim count toward N, so it is idempotent."""
    from ..annotations.models import Verdict
    require(actor, Permission.ASSIGN)
    if isinstance(per_claim, bool) or not isinstance(per_claim, int) or not 1 <= per_claim <= 20:
        raise ValidationError("Checks per claim is a whole number from 1 to 20.", field="per_claim")
    reviewers = _reviewers(reviewer_ids, None)
    claims = list(db.session.scalars(select(Claim).where(Claim.id.in_(claim_ids), Claim.retracted_at.is_(None))
                                     .order_by(Claim.id)))
    ids = [c.id for c in claims]
    checkers: dict[int, set] = {cid: set() for cid in ids}
    for cid, uid in db.session.execute(select(Task.claim_id, Task.assignee_id).where(
            Task.kind == TaskKind.CHECK_CLAIM, Task.claim_id.in_(ids), Task.status != TaskStatus.CANCELLED)):
        checkers[cid].add(uid)
    for cid, uid in db.session.execute(select(Verdict.claim_id, Verdict.reviewer_id).where(
            Verdict.claim_id.in_(ids), Verdict.superseded_at.is_(None))):
        checkers[cid].add(uid)
    load = _open_load([u.id for u, _ in reviewers])
    order = {u.id: i for i, (u, _) in enumerate(reviewers)}
    result = BulkResult([], [])
    for claim in claims:
        have = checkers[claim.id] - {claim.created_by_id}
        need = per_claim - len(have)
        eligible = sorted((u for u, _ in reviewers if u.id != claim.created_by_id and u.id not in have),
                          key=lambda u: (load[u.id], order[u.id]))
        for user in eligible[:max(need, 0)]:
            result.created.append(create_task(actor, TaskIn(TaskKind.CHECK_CLAIM, user.id, claim_id=claim.id,
                                                            due_date=due_date, priority=priority, notes=notes)))
            load[user.id] += 1
        if need > len(eligible):
            result.skipped.append({"claim_id": claim.id, "reason": f"only {len(have) + len(eligible)} of "
                                   f"{per_claim} reviewers available (the author never checks their own claim)"})
    return result


# ---- the queue and the team figures ----------------------------------------------------------

def queue(user_id: int) -> list[Task]:
    """Open and in-progress tasks, by due date (undated last), then priority."""
    from sqlalchemy.orm import selectinload
    tasks = db.session.scalars(select(Task).where(Task.assignee_id == user_id, Task.status.in_(ACTIVE))
                               .options(selectinload(Task.assignee))).all()
    return sorted(tasks, key=lambda t: (t.due_date is None, t.due_date or date.max, t.priority, t.id))


def list_tasks(*, assignee_id=None, status=None, kind=None, claim_id=None, include_archived=False) -> list[Task]:
    stmt = select(Task)
    if assignee_id is not None:
        stmt = stmt.where(Task.assignee_id == assignee_id)
    if status is not None:
        stmt = stmt.where(Task.status == status)
    if kind is not None:
        stmt = stmt.where(Task.kind == kind)
    if claim_id is not None:
        stmt = stmt.where(Task.claim_id == claim_id)
    if not include_archived:
        stmt = stmt.where(Task.archived_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Task.id)))


def is_overdue(task: Task, today: date | None = None) -> bool:
    return task.status in ACTIVE and task.due_date is not None and task.due_date < (today or date.today())


def team_counts(today: date | None = None) -> list[dict]:
    """Each person with tasks or verdict rights: open, overdue and done counts."""
    from sqlalchemy import case, func
    today = today or date.today()
    active = Task.status.in_(ACTIVE)
    rows = db.session.execute(select(
        Task.assignee_id,
        func.sum(case((active, 1), else_=0)),
        func.sum(case((active & (Task.due_date < today), 1), else_=0)),
        func.sum(case((Task.status == TaskStatus.DONE, 1), else_=0)),
    ).group_by(Task.assignee_id)).all()
    counts = {r[0]: (int(r[1] or 0), int(r[2] or 0), int(r[3] or 0)) for r in rows}
    people = db.session.scalars(select(User).where(User.active.is_(True) | User.id.in_(list(counts)))
                                .order_by(User.username)).all()
    return [{"user": u, "open": counts.get(u.id, (0, 0, 0))[0], "overdue": counts.get(u.id, (0, 0, 0))[1],
             "done": counts.get(u.id, (0, 0, 0))[2]}
            for u in people if u.id in counts or can(u, Permission.VERDICT)]


def progress(weeks: int = 12, today: date | None = None) -> dict:
    """Tasks completed and created per ISO week, for the last `weeks` weeks (oldest first)."""
    from datetime import timedelta
    today = today or date.today()
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    done = [0] * weeks
    created = [0] * weeks
    first = starts[0]
    for created_at, completed_at in db.session.execute(select(Task.created_at, Task.completed_at).where(
            (Task.created_at >= first) | (Task.completed_at >= first))):
        for stamp, bucket in ((created_at, created), (completed_at, done)):
            if stamp is not None and stamp.date() >= first:
                bucket[min((stamp.date() - first).days // 7, weeks - 1)] += 1
    return {"weeks": starts, "done": done, "created": created}
