"""Task pages: my queue, the team page (charts) and the leads' task board with bulk assignment."""
from datetime import date
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice
from sqlalchemy import select

from ..annotations.models import Claim
from ..auth.models import User
from ..corpus.models import Post
from ..errors import ValidationError
from ..extensions import db
from ..permissions import Permission, can, require
from . import services
from .api import target_url
from .forms import ActionForm, BulkChecksForm, BulkPostsForm, ReassignForm
from .models import TaskStatus

bp = Blueprint("tasks", __name__)
NAV_ITEMS = [("tasks.my_queue", "My queue", None), ("tasks.board", "Tasks", Permission.ASSIGN),
             ("tasks.team", "Team", Permission.ASSIGN)]


def _back(default: str) -> str:
    target = request.form.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc:
        return target
    return default


def span_links(tasks) -> dict[int, str]:
    """For claim tasks: a link to the claim's first appearance, in its post or comment."""
    from ..annotations.models import ClaimSpan
    from ..corpus.models import Comment
    claim_ids = {t.claim_id for t in tasks if t.claim_id}
    if not claim_ids:
        return {}
    links: dict[int, str] = {}
    for claim_id, post_id, path in db.session.execute(
            select(ClaimSpan.claim_id, ClaimSpan.post_id, Comment.path)
            .outerjoin(Comment, Comment.id == ClaimSpan.comment_id)
            .where(ClaimSpan.claim_id.in_(claim_ids), ClaimSpan.retracted_at.is_(None)).order_by(ClaimSpan.id)):
        anchor = "c" + path.replace(".", "-") if path else "post"
        links.setdefault(claim_id, url_for("corpus.post", post_id=post_id, _anchor=anchor))
    return links


def _titles(tasks) -> tuple[dict, dict]:
    post_ids = {t.post_id for t in tasks if t.post_id}
    claim_ids = {t.claim_id for t in tasks if t.claim_id}
    posts = dict(db.session.execute(select(Post.id, Post.title).where(Post.id.in_(post_ids))).all()) \
        if post_ids else {}
    claims = dict(db.session.execute(select(Claim.id, Claim.statement).where(Claim.id.in_(claim_ids)))
                  .all()) if claim_ids else {}
    return posts, claims


def reviewers() -> list[User]:
    return [u for u in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
            if can(u, Permission.VERDICT)]


@bp.get("/queue")
def my_queue():
    tasks = services.queue(current_user.id)
    posts, claims = _titles(tasks)
    return render_template("tasks/queue.html", tasks=tasks, posts=posts, claims=claims, spans=span_links(tasks),
                           is_overdue=services.is_overdue, target_url=target_url, action=ActionForm())


@bp.post("/tasks/<int:task_id>/<any(start, complete, reopen, cancel, restore):action>")
def move_task(task_id: int, action: str):
    form = ActionForm()
    form.validate()
    task = services.get_task(task_id)
    services.transition(current_user, task, action, form.version.data)
    db.session.commit()
    flash(f"Task {task_id}: {services._past(action)}.", "info")
    return redirect(_back(url_for("tasks.my_queue")))


@bp.get("/tasks")
def board():
    require(current_user, Permission.ASSIGN)
    status = request.args.get("status") or "active"
    statuses = {"active": services.ACTIVE, "done": (TaskStatus.DONE,), "cancelled": (TaskStatus.CANCELLED,)}
    wanted = statuses.get(status, services.ACTIVE)
    tasks = [t for t in services.list_tasks(include_archived=True) if t.status in wanted]
    tasks.sort(key=lambda t: (t.due_date is None, t.due_date or date.max, t.priority, t.id))
    posts, claims = _titles(tasks)
    people = reviewers()
    posts_form, checks_form = _bulk_forms(people)
    reassign = ReassignForm()
    reassign.assignee_id.choices = [SelectChoice(u.id, u.name) for u in people]
    return render_template("tasks/board.html", tasks=tasks, posts=posts, claims=claims, status=status,
                           people=people, posts_form=posts_form, checks_form=checks_form, reassign=reassign,
                           action=ActionForm(), is_overdue=services.is_overdue, target_url=target_url)


def _bulk_forms(people):
    posts_form, checks_form = BulkPostsForm(prefix="p"), BulkChecksForm(prefix="c")
    for form in (posts_form, checks_form):
        form.reviewers.choices = [SelectChoice(u.id, u.name) for u in people]
    return posts_form, checks_form


def _selection(form) -> services.PostSelection:
    return services.PostSelection(date_from=form.date_from.data, date_to=form.date_to.data,
                                  title=(form.title.data or "").strip() or None, post_ids=form.ids())


def _weights(form: BulkPostsForm, people) -> dict | None:
    if form.mode.data != "weighted":
        return None
    by_name = {u.username: u.id for u in people}
    out = {}
    for part in (form.weights.data or "").split(","):
        if not part.strip():
            continue
        name, _, value = part.partition("=")
        try:
            out[by_name[name.strip()]] = float(value)
        except (KeyError, ValueError):
            raise ValidationError(f"Weights are username=number, separated by commas ({part.strip()!r}).",
                                  field="weights")
    return out


@bp.post("/tasks/bulk/<any(posts, checks):what>")
def bulk(what: str):
    require(current_user, Permission.ASSIGN)
    people = reviewers()
    posts_form, checks_form = _bulk_forms(people)
    form = posts_form if what == "posts" else checks_form
    if not form.validate_on_submit():
        errors = "; ".join(f"{getattr(form, k).label.text}: {' '.join(v)}" for k, v in form.errors.items())
        flash(f"Nothing assigned. {errors}", "error")
        return redirect(url_for("tasks.board"))
    sel = _selection(form)
    common = dict(due_date=form.due_date.data, priority=form.priority.data, notes=(form.notes.data or "").strip())
    if what == "posts":
        result = services.bulk_assign_posts(current_user, sel, form.reviewers.data, _weights(form, people), **common)
    else:
        claim_ids = services.claims_of_posts([p.id for p in services.select_posts(sel)])
        result = services.assign_checks(current_user, claim_ids, form.reviewers.data, form.per_claim.data, **common)
    db.session.commit()
    flash(result.summary() + ".", "info")
    for skip in result.skipped[:5]:
        flash(f"Skipped {'post ' + str(skip['post_id']) if 'post_id' in skip else 'claim ' + str(skip['claim_id'])}: "
              f"{skip['reason']}.", "info")
    return redirect(url_for("tasks.board"))


@bp.post("/tasks/<int:task_id>/reassign")
def reassign(task_id: int):
    require(current_user, Permission.ASSIGN)
    form = ReassignForm()
    form.assignee_id.choices = [SelectChoice(u.id, u.name) for u in reviewers()]
    form.validate()
    task = services.get_task(task_id)
    services.update_task(current_user, task, form.version.data, {"assignee_id": form.assignee_id.data})
    db.session.commit()
    flash(f"Task {task_id} reassigned to {task.assignee.name}.", "info")
    return redirect(_back(url_for("tasks.board")))


@bp.get("/team")
def team():
    require(current_user, Permission.ASSIGN)
    from ..review.forms import BlindReviewForm
    from ..review.services import blind_review_on
    from ..review.views import team_charts
    counts = services.team_counts()
    blind = BlindReviewForm(blind_review=blind_review_on())
    return render_template("tasks/team.html", counts=counts, charts=team_charts(counts),
                           blind_form=blind, blind_on=blind_review_on())

