"""JSON routes for tasks: list, create, edit (versioned), move along, bulk assignment, queue, team."""
from datetime import date

from flask import current_app, jsonify, request, url_for
from flask_login import current_user

from ..annotations.presenters import user_json
from ..api import bp
from ..api.helpers import json_body
from ..db import isoformat
from ..errors import BadRequest, Forbidden, ValidationError
from ..extensions import db
from ..permissions import Permission, can, require
from . import services
from .models import Task, TaskKind, TaskStatus


def task_json(t: Task, today: date | None = None) -> dict:
    return {"id": t.id, "version": t.version, "kind": t.kind.value, "post_id": t.post_id, "claim_id": t.claim_id,
            "assignee": user_json(t.assignee), "created_by_id": t.created_by_id,
            "due_date": t.due_date.isoformat() if t.due_date else None, "priority": t.priority,
            "notes": t.notes, "status": t.status.value, "overdue": services.is_overdue(t, today),
            "created_at": isoformat(t.created_at), "updated_at": isoformat(t.updated_at),
            "completed_at": isoformat(t.completed_at), "archived": t.archived_at is not None,
            "url": target_url(t)}


def target_url(t: Task) -> str | None:
    """One click to the exact place: the post, or the claim's first appearance on it."""
    if t.kind is TaskKind.ANNOTATE_POST:
        return url_for("corpus.post", post_id=t.post_id)
    if t.kind is TaskKind.ADJUDICATE_CLAIM:
        return url_for("review.claim", claim_id=t.claim_id)
    if "annotations.claim" in current_app.view_functions:  # the claim page, where the verdict is given
        return url_for("annotations.claim", claim_id=t.claim_id)
    return url_for("corpus.post", post_id=t.post_id, _anchor=f"claim-{t.claim_id}")


# ---- JSON shape checks -----------------------------------------------------------------------

def _date(data: dict, key: str) -> date | None:
    raw = data.get(key)
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else _bad(key, "a date as YYYY-MM-DD")
    except ValueError:
        _bad(key, "a date as YYYY-MM-DD")


def _bad(field: str, what: str):
    raise ValidationError(f"{field} must be {what}.", field=field)


def _int(data: dict, key: str, required=False):
    value = data.get(key)
    if value is None:
        if required:
            raise ValidationError(f"{key} is required.", field=key)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        _bad(key, "a whole number")
    return value


def _ints(data: dict, key: str) -> list[int] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        _bad(key, "a list of whole numbers")
    if len(value) > 10000:
        _bad(key, "at most 10000 ids")
    return value


def _priority(data: dict, default=2) -> int:
    value = data.get("priority", default)
    if isinstance(value, bool) or not isinstance(value, int) or value not in services.PRIORITIES:
        _bad("priority", "1 (high), 2 (normal) or 3 (low)")
    return value


def _notes(data: dict) -> str:
    value = data.get("notes") or ""
    if not isinstance(value, str) or len(value) > 5000:
        _bad("notes", "text of at most 5000 characters")
    return value.strip()


def parse_task(data: dict) -> services.TaskIn:
    try:
        kind = TaskKind(data.get("kind"))
    except ValueError:
        _bad("kind", "one of " + ", ".join(k.value for k in TaskKind))
    return services.TaskIn(kind=kind, assignee_id=_int(data, "assignee_id", required=True),
                           post_id=_int(data, "post_id"), claim_id=_int(data, "claim_id"),
                           due_date=_date(data, "due_date"), priority=_priority(data), notes=_notes(data))


def parse_selection(data: dict) -> services.PostSelection:
    title = data.get("title")
    if title is not None and (not isinstance(title, str) or len(title) > 300):
        _bad("title", "text of at most 300 characters")
    return services.PostSelection(date_from=_date(data, "date_from"), date_to=_date(data, "date_to"),
                                  title=(title or "").strip() or None, post_ids=_ints(data, "post_ids"))


def parse_weights(data: dict) -> dict[int, float] | None:
    raw = data.get("weights")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        _bad("weights", "an object of reviewer id → weight")
    try:
        return {int(k): v for k, v in raw.items()}
    except ValueError:
        _bad("weights", "an object of reviewer id → weight")


def _own_or_assign(task: Task) -> None:
    if task.assignee_id != current_user.id and not can(current_user, Permission.ASSIGN):
        raise Forbidden("This task is someone else's.")


def _body_or_empty() -> dict:
    return json_body() if request.content_length else {}


# ---- routes ----------------------------------------------------------------------------------

@bp.get("/tasks")
def list_tasks():
    assignee = request.args.get("assignee")
    if not can(current_user, Permission.ASSIGN) or assignee == "me":
        assignee_id = current_user.id
    elif assignee:
        try:
            assignee_id = int(assignee)
        except ValueError:
            raise BadRequest("assignee is a user id or 'me'.", field="assignee")
    else:
        assignee_id = None
    try:
        status = TaskStatus(request.args["status"]) if request.args.get("status") else None
        kind = TaskKind(request.args["kind"]) if request.args.get("kind") else None
    except ValueError:
        raise BadRequest("Unknown status or kind.")
    claim_id = request.args.get("claim_id", type=int)
    tasks = services.list_tasks(assignee_id=assignee_id, status=status, kind=kind, claim_id=claim_id,
                                include_archived=request.args.get("include_archived") == "1")
    return jsonify(items=[task_json(t) for t in tasks])


@bp.post("/tasks")
def create_task():
    task = services.create_task(current_user, parse_task(json_body()))
    db.session.commit()
    resp = jsonify(task_json(task))
    resp.status_code, resp.headers["Location"] = 201, url_for("api.get_task", task_id=task.id)
    return resp


@bp.get("/tasks/<int:task_id>")
def get_task(task_id: int):
    task = services.get_task(task_id)
    _own_or_assign(task)
    return jsonify(task_json(task))


@bp.patch("/tasks/<int:task_id>")
def update_task(task_id: int):
    task = services.get_task(task_id)
    data = json_body()
    changes = {}
    if "assignee_id" in data:
        changes["assignee_id"] = _int(data, "assignee_id", required=True)
    if "due_date" in data:
        changes["due_date"] = _date(data, "due_date")
    if "priority" in data:
        changes["priority"] = _priority(data)
    if "notes" in data:
        changes["notes"] = _notes(data)
    reason = data.get("reason") if isinstance(data.get("reason"), str) else None
    services.update_task(current_user, task, data.get("version"), changes, reason)
    db.session.commit()
    return jsonify(task_json(task))


@bp.post("/tasks/<int:task_id>/<any(start, complete, reopen, cancel, restore):action>")
def move_task(task_id: int, action: str):
    task = services.get_task(task_id)
    _own_or_assign(task)
    data = _body_or_empty()
    reason = data.get("reason") if isinstance(data.get("reason"), str) else None
    services.transition(current_user, task, action, data.get("version"), reason)
    db.session.commit()
    return jsonify(task_json(task))


def _bulk_response(result: services.BulkResult):
    db.session.commit()
    return jsonify(created=[task_json(t) for t in result.created], skipped=result.skipped,
                   summary=result.summary()), 201 if result.created else 200


@bp.post("/tasks/bulk/posts")
def bulk_assign_posts():
    data = json_body()
    reviewers = _ints(data, "reviewers") or []
    weights = parse_weights(data) if data.get("mode", "round_robin") == "weighted" else None
    result = services.bulk_assign_posts(current_user, parse_selection(data), reviewers, weights,
                                        due_date=_date(data, "due_date"), priority=_priority(data),
                                        notes=_notes(data))
    return _bulk_response(result)


@bp.post("/tasks/bulk/checks")
def bulk_assign_checks():
    require(current_user, Permission.ASSIGN)
    data = json_body()
    claim_ids = _ints(data, "claim_ids")
    if claim_ids is None:
        claim_ids = services.claims_of_posts([p.id for p in services.select_posts(parse_selection(data))])
    result = services.assign_checks(current_user, claim_ids, _ints(data, "reviewers") or [],
                                    data.get("per_claim", 2), due_date=_date(data, "due_date"),
                                    priority=_priority(data), notes=_notes(data))
    return _bulk_response(result)


@bp.get("/queue")
def my_queue():
    return jsonify(items=[task_json(t) for t in services.queue(current_user.id)])


@bp.get("/team")
def team():
    require(current_user, Permission.ASSIGN)
    prog = services.progress()
    return jsonify(
        people=[{"user": user_json(r["user"]), "open": r["open"], "overdue": r["overdue"], "done": r["done"]}
                for r in services.team_counts()],
        progress=[{"week": w.isoformat(), "done": d, "created": c}
                  for w, d, c in zip(prog["weeks"], prog["done"], prog["created"])])


_ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
_json = lambda schema: {"content": {"application/json": {"schema": schema}}}  # noqa: E731
_err = {"$ref": "#/components/responses/Error"}
_errors = {code: _err for code in ("400", "403", "404", "409", "422")}
_task_id = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_task_ok = {"description": "The task", **_json(_ref("Task"))}
_bulk_ok = {"description": "Tasks created and what was skipped", **_json(_ref("BulkResult"))}
_selection = {"date_from": {"type": "string", "format": "date"}, "date_to": {"type": "string", "format": "date"},
              "title": {"type": "string"}, "post_ids": {"type": "array", "items": {"type": "integer"}}}
_common = {"reviewers": {"type": "array", "items": {"type": "integer"}},
           "due_date": {"type": "string", "format": "date"}, "priority": {"enum": [1, 2, 3]},
           "notes": {"type": "string"}}

OPENAPI_SCHEMAS = {
    "Task": {"type": "object", "required": ["id", "version", "kind", "status", "assignee"], "properties": {
        "id": {"type": "integer"}, "version": {"type": "integer"},
        "kind": {"enum": [k.value for k in TaskKind]}, "status": {"enum": [s.value for s in TaskStatus]},
        "post_id": {"type": ["integer", "null"]}, "claim_id": {"type": ["integer", "null"]},
        "assignee": {"type": "object"}, "due_date": {"type": ["string", "null"], "format": "date"},
        "priority": {"enum": [1, 2, 3]}, "notes": {"type": "string"}, "overdue": {"type": "boolean"},
        "archived": {"type": "boolean"}, "url": {"type": ["string", "null"]}}},
    "TaskIn": {"type": "object", "required": ["kind", "assignee_id"], "properties": {
        "kind": {"enum": [k.value for k in TaskKind]}, "assignee_id": {"type": "integer"},
        "post_id": {"type": "integer", "description": "for annotate_post"},
        "claim_id": {"type": "integer", "description": "for check_claim and adjudicate_claim"},
        "due_date": {"type": "string", "format": "date"}, "priority": {"enum": [1, 2, 3]},
        "notes": {"type": "string"}}},
    "TaskPatch": {"type": "object", "required": ["version"], "properties": {
        "version": {"type": "integer"}, "assignee_id": {"type": "integer"},
        "due_date": {"type": ["string", "null"], "format": "date"}, "priority": {"enum": [1, 2, 3]},
        "notes": {"type": "string"}, "reason": {"type": "string"}}},
    "BulkResult": {"type": "object", "properties": {
        "created": {"type": "array", "items": _ref("Task")}, "skipped": {"type": "array"},
        "summary": {"type": "string"}}},
}
OPENAPI_PATHS = {
    "/tasks": {
        "get": {"summary": "Tasks (a reviewer sees only their own)", "operationId": "listTasks",
                "parameters": [{"name": n, "in": "query", "schema": {"type": "string"}}
                               for n in ("assignee", "status", "kind", "claim_id", "include_archived")],
                "responses": {"200": {"description": "Tasks"}}},
        "post": {"summary": "Create a task (leads)", "operationId": "createTask",
                 "requestBody": {"required": True, **_json(_ref("TaskIn"))},
                 "responses": {"201": _task_ok, **_errors}}},
    "/tasks/{task_id}": {
        "get": {"summary": "One task", "operationId": "getTask", "parameters": [_task_id],
                "responses": {"200": _task_ok, "403": _err, "404": _err}},
        "patch": {"summary": "Edit or reassign a task (leads; send the version you edited)",
                  "operationId": "updateTask", "parameters": [_task_id],
                  "requestBody": {"required": True, **_json(_ref("TaskPatch"))},
                  "responses": {"200": _task_ok, **_errors}}},
    "/tasks/{task_id}/{action}": {"post": {
        "summary": "Move a task: start, complete, reopen (assignee or lead); cancel, restore (lead)",
        "operationId": "moveTask",
        "parameters": [_task_id, {"name": "action", "in": "path", "required": True,
                                  "schema": {"enum": list(services.TRANSITIONS)}}],
        "requestBody": {"required": False, **_json({"type": "object", "properties": {
            "version": {"type": "integer"}, "reason": {"type": "string"}}})},
        "responses": {"200": _task_ok, **_errors}}},
    "/tasks/bulk/posts": {"post": {
        "summary": "Distribute annotate_post tasks for selected posts, round-robin or by weight",
        "operationId": "bulkAssignPosts",
        "requestBody": {"required": True, **_json({"type": "object", "required": ["reviewers"], "properties": {
            **_selection, **_common, "mode": {"enum": ["round_robin", "weighted"]},
            "weights": {"type": "object", "additionalProperties": {"type": "number"}}}})},
        "responses": {"201": _bulk_ok, "200": _bulk_ok, **_errors}}},
    "/tasks/bulk/checks": {"post": {
        "summary": "Each claim checked by N reviewers (never its author; idempotent)",
        "operationId": "bulkAssignChecks",
        "requestBody": {"required": True, **_json({"type": "object", "required": ["reviewers"], "properties": {
            **_selection, **_common, "claim_ids": {"type": "array", "items": {"type": "integer"}},
            "per_claim": {"type": "integer", "minimum": 1, "maximum": 20}}})},
        "responses": {"201": _bulk_ok, "200": _bulk_ok, **_errors}}},
    "/queue": {"get": {"summary": "The caller's open tasks by due date", "operationId": "myQueue",
                       "responses": {"200": {"description": "Tasks", **_json({"type": "object", "properties": {
                           "items": {"type": "array", "items": _ref("Task")}}})}}}},
    "/team": {"get": {"summary": "Each reviewer's open, overdue and done counts; progress by week (leads)",
                      "operationId": "team", "responses": {"200": {"description": "Team figures"}, "403": _err}}},
}
