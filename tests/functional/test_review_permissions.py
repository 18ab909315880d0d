"""Every team-review route walked with every role (and without a login): the permission table
decides, and the answer says so (403 for a refused role, 401 without a login, never a 500)."""
import pytest

from tests.unit.review.helpers import PHRASES, give_verdict, make_claim
from workbench.review import services as review
from workbench.tasks import services as tasks
from workbench.tasks.models import TaskKind


@pytest.fixture
def world(seeded, db, make_user):
    """People made once (password hashing is the slow part); fresh() makes new claims, a flag and a
    task for each route, so one route's change never decides the next route's answer."""
    people = {"author": make_user(), "x": make_user(), "y": make_user(), "lead0": make_user("lead")}

    def fresh() -> dict:
        author, x, y, lead0 = people["author"], people["x"], people["y"], people["lead0"]
        claim = make_claim(db, author, "disputed claim", phrase=PHRASES[1])
        give_verdict(db, x, claim, "true")
        give_verdict(db, y, claim, "false")
        flag = review.flag_claim(x, claim, "scope")
        settled = make_claim(db, author, "settled claim", phrase=PHRASES[2])
        give_verdict(db, x, settled, "true")
        review.adjudicate(lead0, settled, "true", "clear")
        task = tasks.create_task(lead0, tasks.TaskIn(TaskKind.CHECK_CLAIM, x.id, claim_id=claim.id))
        db.session.commit()
        return {"c": claim.id, "s": settled.id, "f": flag.id, "t": task.id, "tv": task.version, "x": x.id,
                "lead0": lead0.id, "post": claim.post_id}
    return fresh


R, L, A = "reviewer", "lead", "admin"
# (method, path, body: "json" dict or ("form", dict), {role: status})
ROUTES = [
    ("GET", "/queue", None, {R: 200, L: 200, A: 200}),
    ("GET", "/tasks", None, {R: 403, L: 200, A: 200}),
    ("GET", "/team", None, {R: 403, L: 200, A: 200}),
    ("GET", "/disputes", None, {R: 403, L: 200, A: 200}),
    ("GET", "/claims/{c}/review", None, {R: 200, L: 200, A: 200}),
    ("GET", "/agreement", None, {R: 403, L: 200, A: 200}),
    ("POST", "/tasks/{t}/start", ("form", {"version": "{tv}"}), {R: 403, L: 302, A: 302}),
    ("POST", "/tasks/{t}/reassign", ("form", {"assignee_id": "{lead0}", "version": "{tv}"}), {R: 403, L: 302, A: 302}),
    ("POST", "/tasks/bulk/posts", ("form", {"p-reviewers": "{x}"}), {R: 403, L: 302, A: 302}),
    ("POST", "/tasks/bulk/checks", ("form", {"c-reviewers": "{x}", "c-per_claim": "1"}), {R: 403, L: 302, A: 302}),
    ("POST", "/claims/{c}/review/flag", ("form", {"f-reason": "why"}), {R: 302, L: 302, A: 302}),
    ("POST", "/flags/{f}/clear", ("form", {}), {R: 403, L: 302, A: 302}),
    ("POST", "/claims/{c}/review/discussion", ("form", {"d-body": "hi"}), {R: 302, L: 302, A: 302}),
    ("POST", "/claims/{c}/review/adjudicate", ("form", {"a-rating": "true", "a-reasoning": "r"}),
     {R: 403, L: 302, A: 302}),
    ("POST", "/claims/{s}/review/reopen", ("form", {"r-reason": "new data"}), {R: 403, L: 302, A: 302}),
    ("POST", "/claims/{c}/review/adjudicator", ("form", {"t-assignee_id": "{lead0}"}), {R: 403, L: 302, A: 302}),
    ("POST", "/settings/blind-review", ("form", {"blind_review": "y"}), {R: 403, L: 403, A: 302}),
    ("GET", "/api/v1/tasks", None, {R: 200, L: 200, A: 200}),
    ("POST", "/api/v1/tasks", {"kind": "check_claim", "claim_id": "{c}", "assignee_id": "{lead0}"},
     {R: 403, L: 201, A: 201}),
    ("GET", "/api/v1/tasks/{t}", None, {R: 403, L: 200, A: 200}),
    ("PATCH", "/api/v1/tasks/{t}", {"version": "{tv}", "priority": 1}, {R: 403, L: 200, A: 200}),
    ("POST", "/api/v1/tasks/{t}/start", {}, {R: 403, L: 200, A: 200}),
    ("POST", "/api/v1/tasks/{t}/cancel", {}, {R: 403, L: 200, A: 200}),
    ("POST", "/api/v1/tasks/bulk/posts", {"reviewers": ["{x}"]}, {R: 403, L: 201, A: 201}),
    ("POST", "/api/v1/tasks/bulk/checks", {"claim_ids": ["{s}"], "reviewers": ["{x}", "{lead0}"], "per_claim": 2},
     {R: 403, L: 201, A: 201}),
    ("GET", "/api/v1/queue", None, {R: 200, L: 200, A: 200}),
    ("GET", "/api/v1/team", None, {R: 403, L: 200, A: 200}),
    ("GET", "/api/v1/disputes", None, {R: 403, L: 200, A: 200}),
    ("GET", "/api/v1/claims/{c}/review", None, {R: 200, L: 200, A: 200}),
    ("POST", "/api/v1/claims/{c}/flags", {"reason": "why"}, {R: 201, L: 201, A: 201}),
    ("POST", "/api/v1/flags/{f}/clear", {}, {R: 403, L: 200, A: 200}),
    ("GET", "/api/v1/claims/{c}/discussion", None, {R: 200, L: 200, A: 200}),
    # A reviewer without a verdict of their own is still blind: the discussion opens after it.
    ("POST", "/api/v1/claims/{c}/discussion", {"body": "hi"}, {R: 409, L: 201, A: 201}),
    ("POST", "/api/v1/claims/{c}/adjudication", {"rating": "true", "reasoning": "r"}, {R: 403, L: 201, A: 201}),
    ("POST", "/api/v1/claims/{s}/reopen", {"reason": "new data"}, {R: 403, L: 200, A: 200}),
    ("GET", "/api/v1/agreement", None, {R: 403, L: 200, A: 200}),
    ("GET", "/api/v1/settings/blind_review", None, {R: 200, L: 200, A: 200}),
    ("PUT", "/api/v1/settings/blind_review", {"blind_review": False}, {R: 403, L: 403, A: 200}),
]


def _fill(value, ids):
    if isinstance(value, str):
        out = value.format(**ids)
        return int(out) if value.startswith("{") and out.isdigit() and value.endswith("}") else out
    if isinstance(value, tuple):
        return tuple(_fill(v, ids) for v in value)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _send(client, method, path, body, csrf=None):
    if isinstance(body, tuple):
        data = {k: str(v) for k, v in body[1].items()}
        if csrf:
            data["csrf_token"] = csrf
        return client.post(path, data=data)
    if method == "GET":
        return client.get(path)
    return client._send(method, path, json=body)


@pytest.mark.parametrize("role", [R, L, A])
def test_every_route_answers_by_role(login, world, role):
    client = login(role)
    wrong = []
    for method, path, body, expected in ROUTES:
        ids = world()
        resp = _send(client, method, _fill(path, ids), _fill(body, ids), client.csrf)
        if resp.status_code != expected[role]:
            wrong.append((method, path, expected[role], resp.status_code, resp.get_data(as_text=True).split("<main id=\"main\">")[-1][:300]))
    assert wrong == []


def test_every_route_needs_a_login(anon, world):
    ids = world()
    wrong = []
    for method, path, body, _expected in ROUTES:
        resp = _send(anon, method, _fill(path, ids), _fill(body, ids))
        expected = 302 if method == "GET" and not path.startswith("/api/") else 401
        if resp.status_code != expected or (expected == 302 and "/login" not in resp.headers["Location"]):
            wrong.append((method, path, resp.status_code))
    assert wrong == []


def test_openapi_describes_every_review_and_task_route(login):
    spec = login().get("/api/v1/openapi.json").get_json()
    for path in ["/tasks", "/tasks/{task_id}", "/tasks/{task_id}/{action}", "/tasks/bulk/posts", "/tasks/bulk/checks",
                 "/queue", "/team", "/disputes", "/claims/{claim_id}/review", "/claims/{claim_id}/flags",
                 "/flags/{flag_id}/clear", "/claims/{claim_id}/discussion", "/claims/{claim_id}/adjudication",
                 "/claims/{claim_id}/reopen", "/agreement", "/settings/blind_review"]:
        assert path in spec["paths"], path
    assert {"Task", "TaskIn", "BulkResult", "ClaimReview", "Agreement"} <= set(spec["components"]["schemas"])
