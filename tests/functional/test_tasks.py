"""Tasks: creation rules, named transitions that refuse illegal moves, versions, cancel/restore,
bulk assignment (round-robin, by weight, filters, idempotence) and each claim checked by N reviewers."""
import pytest
from sqlalchemy import select

from tests.unit.review.helpers import PHRASES, first_post, make_claim
from workbench.audit import AuditEvent
from workbench.corpus.models import Post
from workbench.tasks.models import Task


def _posts(db):
    return db.session.scalars(select(Post).order_by(Post.date, Post.id)).all()


def test_transitions_refuse_illegal_moves_and_are_audited(login, seeded, db):
    lead, rita, ravi = login("lead"), login("reviewer"), login("reviewer")
    post = first_post(db)
    t = lead.post("/api/v1/tasks", json={"kind": "annotate_post", "post_id": post.id, "assignee_id": rita.user.id,
                                         "notes": "Figures first"}).get_json()
    url = f"/api/v1/tasks/{t['id']}"
    assert ravi.post(url + "/start").status_code == 403          # not his task
    assert ravi.get(url).status_code == 403
    assert rita.post(url + "/reopen").status_code == 409         # open → open is not a move
    assert rita.post(url + "/start").get_json()["status"] == "in_progress"
    assert rita.post(url + "/start").status_code == 409
    assert rita.post(url + "/cancel").status_code == 403         # only leads cancel
    assert rita.post(url + "/complete").get_json()["status"] == "done"
    assert rita.post(url + "/complete").status_code == 409
    assert rita.post(url + "/reopen").get_json()["status"] == "open"
    cancelled = lead.post(url + "/cancel", json={"reason": "Post dropped"}).get_json()
    assert cancelled["status"] == "cancelled" and cancelled["archived"]
    assert rita.get("/api/v1/queue").get_json()["items"] == []
    assert lead.get("/api/v1/tasks").get_json()["items"] == []                  # archived are hidden…
    assert len(lead.get("/api/v1/tasks?include_archived=1").get_json()["items"]) == 1  # …never deleted
    assert lead.post(url + "/restore").get_json()["status"] == "open"
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "task")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["create", "start", "complete", "reopen", "cancel", "restore"]
    assert db.session.scalar(select(AuditEvent.reason).where(AuditEvent.action == "cancel")) == "Post dropped"


def test_edits_are_versioned_and_reassignment_is_checked(login, seeded, db):
    lead, rita, ravi, admin = login("lead"), login("reviewer"), login("reviewer"), login("admin")
    claim = make_claim(db, rita.user)
    t = lead.post("/api/v1/tasks", json={"kind": "check_claim", "claim_id": claim.id,
                                         "assignee_id": ravi.user.id}).get_json()
    url = f"/api/v1/tasks/{t['id']}"
    assert lead.patch(url, json={"priority": 1}).status_code == 422            # version required
    r = lead.patch(url, json={"version": t["version"], "priority": 1, "due_date": "2030-02-01"})
    assert r.status_code == 200 and r.get_json()["priority"] == 1
    stale = admin.patch(url, json={"version": t["version"], "notes": "lost update?"})
    assert stale.status_code == 409 and stale.get_json()["error"]["current_version"] == r.get_json()["version"]
    v = r.get_json()["version"]
    # Never to the claim's author; reviewers cannot edit tasks.
    assert lead.patch(url, json={"version": v, "assignee_id": rita.user.id}).status_code == 422
    assert ravi.patch(url, json={"version": v, "priority": 3}).status_code == 403
    r = lead.patch(url, json={"version": v, "assignee_id": admin.user.id, "reason": "Ravi is away"})
    assert r.status_code == 200 and r.get_json()["assignee"]["id"] == admin.user.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reassign"))
    assert event.before_data["assignee_id"] == ravi.user.id and event.after_data["assignee_id"] == admin.user.id
    assert event.reason == "Ravi is away"
    # Creating: duplicates, bad kinds, adjudication only for leads.
    dup = lead.post("/api/v1/tasks", json={"kind": "check_claim", "claim_id": claim.id, "assignee_id": admin.user.id})
    assert dup.status_code == 409
    assert lead.post("/api/v1/tasks", json={"kind": "fix_it", "assignee_id": ravi.user.id}).status_code == 422
    assert lead.post("/api/v1/tasks", json={"kind": "adjudicate_claim", "claim_id": claim.id,
                                            "assignee_id": ravi.user.id}).status_code == 422
    assert lead.post("/api/v1/tasks", json={"kind": "check_claim", "claim_id": 99999,
                                            "assignee_id": ravi.user.id}).status_code == 422
    assert rita.post("/api/v1/tasks", json={"kind": "annotate_post", "post_id": claim.post_id,
                                            "assignee_id": ravi.user.id}).status_code == 403


def test_queue_orders_by_due_date_and_marks_overdue(login, seeded, db):
    lead, rita = login("lead"), login("reviewer")
    posts = _posts(db)
    for post, due in zip(posts, ["2031-05-01", None, "2000-01-01", "2030-01-01"]):
        lead.post("/api/v1/tasks", json={"kind": "annotate_post", "post_id": post.id, "assignee_id": rita.user.id,
                                         "due_date": due})
    items = rita.get("/api/v1/queue").get_json()["items"]
    assert [i["due_date"] for i in items] == ["2000-01-01", "2030-01-01", "2031-05-01", None]
    assert [i["overdue"] for i in items] == [True, False, False, False]
    page = rita.get("/queue").get_data(as_text=True)
    assert page.count('class="overdue"') == 1 and "overdue</span>" in page
    assert f'href="/posts/{posts[0].id}"' in page
    team = lead.get("/api/v1/team").get_json()
    me = next(p for p in team["people"] if p["user"]["id"] == rita.user.id)
    assert (me["open"], me["overdue"], me["done"]) == (4, 1, 0)
    assert rita.get("/api/v1/team").status_code == 403


def test_bulk_posts_round_robin_filters_and_idempotence(login, seeded, db):
    lead, rita, ravi = login("lead"), login("reviewer"), login("reviewer")
    posts = _posts(db)
    body = {"reviewers": [rita.user.id, ravi.user.id], "due_date": "2030-03-01"}
    r = lead.post("/api/v1/tasks/bulk/posts", json=body)
    assert r.status_code == 201
    created = r.get_json()["created"]
    assert [t["post_id"] for t in created] == [p.id for p in posts]
    assert [t["assignee"]["id"] for t in created] == [rita.user.id, ravi.user.id] * 2 + [rita.user.id]
    again = lead.post("/api/v1/tasks/bulk/posts", json=body)
    assert again.status_code == 200 and again.get_json()["created"] == [] and len(again.get_json()["skipped"]) == 5
    assert db.session.scalar(select(Task.id).order_by(Task.id.desc())) == created[-1]["id"]


def test_bulk_posts_by_weight_and_by_selection(login, seeded, db):
    lead, rita, ravi = login("lead"), login("reviewer"), login("reviewer")
    posts = _posts(db)
    r = lead.post("/api/v1/tasks/bulk/posts", json={"reviewers": [rita.user.id, ravi.user.id], "mode": "weighted",
                                                    "weights": {str(rita.user.id): 4, str(ravi.user.id): 1}})
    got = [t["assignee"]["id"] for t in r.get_json()["created"]]
    assert got.count(rita.user.id) == 4 and got.count(ravi.user.id) == 1
    for t in r.get_json()["created"]:
        lead.post(f"/api/v1/tasks/{t['id']}/cancel")
    # Date range, title filter and a list of ids select the posts.
    first, last = posts[0], posts[-1]
    r = lead.post("/api/v1/tasks/bulk/posts", json={"reviewers": [ravi.user.id], "date_from": str(last.date),
                                                    "date_to": str(last.date)})
    assert [t["post_id"] for t in r.get_json()["created"]] == [last.id]
    word = first.title.split()[0]
    expected = [p.id for p in posts if word.lower() in p.title.lower() and p.id != last.id]
    r = lead.post("/api/v1/tasks/bulk/posts", json={"reviewers": [ravi.user.id], "title": word})
    assert [t["post_id"] for t in r.get_json()["created"]] == expected
    assert lead.post("/api/v1/tasks/bulk/posts", json={"reviewers": []}).status_code == 422
    assert lead.post("/api/v1/tasks/bulk/posts", json={"reviewers": [ravi.user.id], "mode": "weighted",
                                                       "weights": {str(ravi.user.id): -1}}).status_code == 422
    assert rita.post("/api/v1/tasks/bulk/posts", json={"reviewers": [ravi.user.id]}).status_code == 403


def test_each_claim_checked_by_n_reviewers_never_its_author(login, seeded, db):
    lead, a, b, c = login("lead"), login("reviewer"), login("reviewer"), login("reviewer")
    post = first_post(db)
    claims = [make_claim(db, author, f"claim {i}", phrase=PHRASES[i + 1])
              for i, author in enumerate([a.user, a.user, b.user, c.user])]
    everyone = [a.user.id, b.user.id, c.user.id]
    r = lead.post("/api/v1/tasks/bulk/checks", json={"post_ids": [post.id], "per_claim": 2, "reviewers": everyone})
    created = r.get_json()["created"]
    assert len(created) == 8
    author_of = {cl.id: cl.created_by_id for cl in claims}
    assert all(t["assignee"]["id"] != author_of[t["claim_id"]] for t in created)
    per_claim = {}
    for t in created:
        per_claim.setdefault(t["claim_id"], set()).add(t["assignee"]["id"])
    assert all(len(v) == 2 for v in per_claim.values())
    load = sorted(sum(t["assignee"]["id"] == uid for t in created) for uid in everyone)
    assert load[-1] - load[0] <= 1, load                    # spread, not piled on one person
    # Idempotent: no duplicate open task for the same claim and reviewer.
    again = lead.post("/api/v1/tasks/bulk/checks", json={"claim_ids": [cl.id for cl in claims], "per_claim": 2,
                                                          "reviewers": everyone})
    assert again.status_code == 200 and again.get_json()["created"] == []
    # Asking for three checkers when only two are not the author: reported, not invented.
    more = lead.post("/api/v1/tasks/bulk/checks", json={"claim_ids": [claims[0].id], "per_claim": 3,
                                                         "reviewers": everyone}).get_json()
    assert more["created"] == [] and "author" in more["skipped"][0]["reason"]
    # A verdict already given counts as a check.
    fresh = make_claim(db, a.user, "fresh", phrase=PHRASES[6])
    b.put(f"/api/v1/claims/{fresh.id}/verdict", json={"rating": "true"})
    r = lead.post("/api/v1/tasks/bulk/checks", json={"claim_ids": [fresh.id], "per_claim": 1, "reviewers": everyone})
    assert r.get_json()["created"] == []


def test_board_pages_bulk_forms_and_reassign(login, seeded, db):
    lead, rita, ravi = login("lead"), login("reviewer"), login("reviewer")
    assert rita.get("/tasks").status_code == 403 and rita.get("/team").status_code == 403
    page = lead.get("/tasks").get_data(as_text=True)
    assert "Assign posts to annotate" in page and "Assign claim checks" in page
    r = lead.post("/tasks/bulk/posts", data={"csrf_token": lead.csrf, "p-reviewers": [rita.user.id, ravi.user.id],
                                             "p-mode": "weighted", "p-weights": f"{rita.user.username}=1, "
                                                                                f"{ravi.user.username}=1",
                                             "p-priority": "1", "p-due_date": "2030-01-01"})
    assert r.status_code == 302
    tasks = db.session.scalars(select(Task).order_by(Task.id)).all()
    assert len(tasks) == 5 and {t.priority for t in tasks} == {1}
    t = tasks[0]
    r = lead.post(f"/tasks/{t.id}/reassign", data={"csrf_token": lead.csrf, "assignee_id": ravi.user.id,
                                                   "version": t.version})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Task, t.id).assignee_id == ravi.user.id
    r = rita.post(f"/tasks/{tasks[2].id}/start", data={"csrf_token": rita.csrf, "version": tasks[2].version})
    assert r.status_code == 302
    page = lead.get("/team").get_data(as_text=True)
    assert "<svg" in page and "Tasks done and created per week" in page and rita.user.username in page


@pytest.mark.parametrize("bad", [[], {}, "1", 1.5, None, True, 4])
def test_task_fields_of_the_wrong_shape_are_refused_not_crashed(login, seeded, db, bad):
    lead, rita = login("lead"), login("reviewer")
    post = first_post(db)
    body = {"kind": "annotate_post", "post_id": post.id, "assignee_id": rita.user.id}
    for field in ("priority", "due_date", "assignee_id", "post_id", "notes", "kind"):
        resp = lead.post("/api/v1/tasks", json={**body, field: bad})
        assert resp.status_code in (201, 409, 422), (field, bad, resp.status_code)
    for field in ("reviewers", "per_claim", "post_ids", "weights", "priority", "title"):
        resp = lead.post("/api/v1/tasks/bulk/checks", json={"reviewers": [rita.user.id], field: bad})
        assert resp.status_code in (200, 201, 422), (field, bad, resp.status_code)
