"""The whole team-review flow through the test client: assign → annotate → two blind verdicts that
disagree → dispute queue → discussion → adjudicate → reopen; and the rules along the way."""
from sqlalchemy import select

from tests.unit.review.helpers import PHRASES, first_post, make_claim
from workbench.audit import AuditEvent
from workbench.review.models import Adjudication
from workbench.tasks.models import Task, TaskStatus


def _claim_body(post, phrase=PHRASES[0]):
    start = post.body.index(phrase)
    return {"post_id": post.id, "start": start, "end": start + len(phrase), "exact": phrase,
            "statement": "19 of 21 CRCs failed their reoffending targets", "category": "reoffending"}


def test_assign_annotate_blind_verdicts_dispute_discuss_adjudicate_reopen(login, seeded, db):
    lead, annie, rita, ravi = login("lead"), login("reviewer"), login("reviewer"), login("reviewer")
    post = first_post(db)

    # The lead assigns the post; Annie starts, annotates and completes it.
    r = lead.post("/api/v1/tasks", json={"kind": "annotate_post", "post_id": post.id,
                                         "assignee_id": annie.user.id, "due_date": "2030-01-31", "priority": 1})
    assert r.status_code == 201, r.get_json()
    task = r.get_json()
    assert task["status"] == "open" and task["url"].endswith(f"/posts/{post.id}")
    assert [t["id"] for t in annie.get("/api/v1/queue").get_json()["items"]] == [task["id"]]
    assert annie.post(f"/api/v1/tasks/{task['id']}/start", json={"version": 1}).get_json()["status"] == "in_progress"
    r = annie.post("/api/v1/claims", json=_claim_body(post))
    assert r.status_code == 201
    claim_id = r.get_json()["id"]
    assert annie.post(f"/api/v1/tasks/{task['id']}/complete").get_json()["status"] == "done"

    # Each claim checked by two reviewers: never Annie, its author.
    r = lead.post("/api/v1/tasks/bulk/checks", json={"post_ids": [post.id], "per_claim": 2,
                                                     "reviewers": [annie.user.id, rita.user.id, ravi.user.id]})
    assert r.status_code == 201, r.get_json()
    assert sorted(t["assignee"]["id"] for t in r.get_json()["created"]) == sorted([rita.user.id, ravi.user.id])
    check = next(t for t in rita.get("/api/v1/queue").get_json()["items"] if t["kind"] == "check_claim")
    assert check["claim_id"] == claim_id and check["url"].endswith(f"/claims/{claim_id}")  # the claim page
    queue_page = rita.get("/queue").get_data(as_text=True)
    assert f'href="/posts/{post.id}#post"' in queue_page       # one click to the words, in the post

    # Blind: Rita gives "true"; Ravi, before his own verdict, sees no verdicts and no discussion.
    assert rita.put(f"/api/v1/claims/{claim_id}/verdict",
                    json={"rating": "true", "rationale": "Table 3 of the MoJ data."}).status_code == 200
    before = ravi.get(f"/api/v1/claims/{claim_id}").get_json()
    assert before["verdicts_hidden"] and before["verdicts"] == [] and before["status"] == "blind"
    review = ravi.get(f"/api/v1/claims/{claim_id}/review").get_json()
    assert review["discussion_hidden"] and review["claim"]["verdicts"] == [] and review["differences"] is None
    assert ravi.post(f"/api/v1/claims/{claim_id}/discussion", json={"body": "peek"}).status_code == 409
    r = ravi.put(f"/api/v1/claims/{claim_id}/verdict", json={"rating": "false", "rationale": "Only 17 of 21."})
    after = r.get_json()
    assert after["status"] == "disputed" and len(after["verdicts"]) == 2 and not after["verdicts_hidden"]

    # The dispute queue (leads) lists it; the page shows the span and both columns.
    items = lead.get("/api/v1/disputes").get_json()["items"]
    assert [c["id"] for c in items] == [claim_id]
    page = lead.get("/disputes").get_data(as_text=True)
    assert "19 of 21 CRCs failed" in page and "<mark>" + PHRASES[0] + "</mark>" in page
    assert rita.get("/api/v1/disputes").status_code == 403

    # Discussion: every reviewer can post, posts are kept in order.
    assert rita.post(f"/api/v1/claims/{claim_id}/discussion", json={"body": "MoJ table 3 says 19."}).status_code == 201
    assert ravi.post(f"/api/v1/claims/{claim_id}/discussion", json={"body": "That table was revised."}).status_code == 201
    assert ravi.post(f"/api/v1/claims/{claim_id}/discussion", json={"body": "  "}).status_code == 422
    posts = lead.get(f"/api/v1/claims/{claim_id}/discussion").get_json()["items"]
    assert [p["body"] for p in posts] == ["MoJ table 3 says 19.", "That table was revised."]

    review = lead.get(f"/api/v1/claims/{claim_id}/review").get_json()
    assert review["differences"]["agree"] is False and review["differences"]["spread"] == 4
    assert review["adjudication_block"] is None

    # An adjudicate task for the lead, one click from the dispute page; a reviewer cannot adjudicate.
    r = lead.post(f"/claims/{claim_id}/review/adjudicator", data={"t-assignee_id": lead.user.id,
                                                                  "csrf_token": lead.csrf})
    assert r.status_code == 302
    adj_task = db.session.scalar(select(Task).where(Task.kind == "adjudicate_claim"))
    assert adj_task.assignee_id == lead.user.id and adj_task.status is TaskStatus.OPEN
    assert rita.post(f"/api/v1/claims/{claim_id}/adjudication",
                     json={"rating": "true", "reasoning": "x"}).status_code == 403
    assert lead.post(f"/api/v1/claims/{claim_id}/adjudication",
                     json={"rating": "true", "reasoning": " "}).status_code == 422
    r = lead.post(f"/api/v1/claims/{claim_id}/adjudication",
                  json={"rating": "mostly_true", "reasoning": "19 of 21 per the revised table."})
    assert r.status_code == 201, r.get_json()
    done = r.get_json()
    assert done["claim"]["status"] == "adjudicated" and done["claim"]["adjudication"]["rating"] == "mostly_true"
    # The minority view stays on the record and on screen.
    assert sorted(v["rating"] for v in done["claim"]["verdicts"]) == ["false", "true"]
    page = ravi.get(f"/claims/{claim_id}/review").get_data(as_text=True)
    assert "Only 17 of 21." in page and "Final: mostly true" in page
    db.session.expire_all()
    assert db.session.get(Task, adj_task.id).status is TaskStatus.DONE
    assert lead.post(f"/api/v1/claims/{claim_id}/adjudication",
                     json={"rating": "true", "reasoning": "again"}).status_code == 409

    # Reopen needs a reason; the adjudication row is kept, stamped.
    assert lead.post(f"/api/v1/claims/{claim_id}/reopen", json={}).status_code == 422
    r = lead.post(f"/api/v1/claims/{claim_id}/reopen", json={"reason": "New MoJ figures published."})
    assert r.status_code == 200
    reopened = r.get_json()
    assert reopened["claim"]["status"] == "disputed"
    assert reopened["adjudications"][0]["reopened"] and \
        reopened["adjudications"][0]["reopen_reason"] == "New MoJ figures published."
    row = db.session.scalar(select(Adjudication))
    assert row.reopened_at is not None and row.reopened_by_id == lead.user.id
    assert [c["id"] for c in lead.get("/api/v1/disputes").get_json()["items"]] == [claim_id]

    # History: who, what, before/after, why — for the task, verdicts, discussion and adjudication.
    history = lead.get(f"/api/v1/claims/{claim_id}/history").get_json()["items"]
    kinds = [(e["entity"], e["action"]) for e in history]
    for expected in [("claim", "create"), ("verdict", "create"), ("task", "create"), ("discussion", "create"),
                     ("adjudication", "create"), ("task", "complete"), ("adjudication", "reopen")]:
        assert expected in kinds, expected
    reopen_event = next(e for e in history if e["action"] == "reopen")
    assert reopen_event["reason"] == "New MoJ figures published." and reopen_event["actor"]["id"] == lead.user.id
    assert reopen_event["before"]["reopened"] is False and reopen_event["after"]["reopened"] is True
    task_events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "task",
                                                              AuditEvent.entity_id == task["id"])).all()
    assert [e.action for e in task_events] == ["create", "start", "complete"]


def test_flag_makes_a_claim_disputed_until_a_lead_clears_it(login, seeded, db):
    lead, rita = login("lead"), login("reviewer")
    claim = make_claim(db, rita.user, verdict="true")
    assert rita.get(f"/api/v1/claims/{claim.id}").get_json()["status"] == "agreed"
    assert rita.post(f"/api/v1/claims/{claim.id}/flags", json={"reason": ""}).status_code == 422
    r = rita.post(f"/api/v1/claims/{claim.id}/flags", json={"reason": "The 21 includes Wales."})
    assert r.status_code == 201
    flag_id = r.get_json()["id"]
    assert rita.post(f"/api/v1/claims/{claim.id}/flags", json={"reason": "again"}).status_code == 409
    assert rita.get(f"/api/v1/claims/{claim.id}").get_json()["status"] == "disputed"
    assert [c["id"] for c in lead.get("/api/v1/disputes").get_json()["items"]] == [claim.id]
    assert rita.post(f"/api/v1/flags/{flag_id}/clear").status_code == 403
    assert lead.post(f"/api/v1/flags/{flag_id}/clear", json={"reason": "Checked: England only."}).status_code == 200
    assert lead.post(f"/api/v1/flags/{flag_id}/clear").status_code == 409
    assert rita.get(f"/api/v1/claims/{claim.id}").get_json()["status"] == "agreed"
    actions = [e["action"] for e in lead.get(f"/api/v1/claims/{claim.id}/history").get_json()["items"]
               if e["entity"] == "flag"]
    assert actions == ["create", "clear"]


def test_a_lead_with_a_verdict_stands_aside_while_another_lead_can_adjudicate(login, seeded, db, make_user):
    lead, other, rita = login("lead"), make_user("lead"), login("reviewer")
    claim = make_claim(db, rita.user, verdict="true")
    assert lead.put(f"/api/v1/claims/{claim.id}/verdict", json={"rating": "false"}).status_code == 200
    r = lead.post(f"/api/v1/claims/{claim.id}/adjudication", json={"rating": "false", "reasoning": "mine"})
    assert r.status_code == 403 and other.name in r.get_json()["error"]["message"]
    page = lead.get(f"/claims/{claim.id}/review").get_data(as_text=True)
    assert "You gave a verdict on this claim, so another lead should adjudicate it" in page
    assert "<fieldset disabled" in page
    # With no other active lead, the lead may adjudicate their own dispute.
    from workbench.auth.services import update_user
    admin = make_user("admin")
    update_user(other, admin, active=False)
    db.session.commit()
    r = lead.post(f"/api/v1/claims/{claim.id}/adjudication", json={"rating": "false", "reasoning": "only lead"})
    assert r.status_code == 403 and admin.name in r.get_json()["error"]["message"]  # admins adjudicate too
    from workbench.auth.models import User
    db.session.get(User, admin.id).active = False
    db.session.commit()
    r = lead.post(f"/api/v1/claims/{claim.id}/adjudication", json={"rating": "false", "reasoning": "only lead"})
    assert r.status_code == 201, r.get_json()


def test_blind_review_can_be_turned_off_by_an_admin(login, seeded, db):
    admin, lead, rita, ravi = login("admin"), login("lead"), login("reviewer"), login("reviewer")
    claim = make_claim(db, rita.user, verdict="true")
    assert ravi.get(f"/api/v1/claims/{claim.id}").get_json()["verdicts_hidden"] is True
    assert lead.get(f"/api/v1/claims/{claim.id}").get_json()["verdicts_hidden"] is False
    assert lead.put("/api/v1/settings/blind_review", json={"blind_review": False}).status_code == 403
    assert admin.put("/api/v1/settings/blind_review", json={"blind_review": "no"}).status_code == 422
    r = admin.put("/api/v1/settings/blind_review", json={"blind_review": False})
    assert r.status_code == 200 and r.get_json() == {"blind_review": False}
    seen = ravi.get(f"/api/v1/claims/{claim.id}").get_json()
    assert seen["verdicts_hidden"] is False and seen["verdicts"][0]["rating"] == "true"
    # The same switch as a form on the team page.
    r = admin.post("/settings/blind-review", data={"blind_review": "y", "csrf_token": admin.csrf})
    assert r.status_code == 302
    assert ravi.get(f"/api/v1/claims/{claim.id}").get_json()["verdicts_hidden"] is True
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.entity_type == "setting")) is not None


def test_dispute_page_forms_flash_refusals_instead_of_failing(login, seeded, db):
    lead, rita, ravi = login("lead"), login("reviewer"), login("reviewer")
    claim = make_claim(db, rita.user, verdict="true")
    ravi.put(f"/api/v1/claims/{claim.id}/verdict", json={"rating": "mixed"})
    r = lead.post(f"/claims/{claim.id}/review/adjudicate", data={"a-rating": "true", "a-reasoning": "",
                                                                 "csrf_token": lead.csrf})
    assert r.status_code == 302
    page = lead.get(r.headers["Location"]).get_data(as_text=True)
    assert "Not adjudicated" in page
    r = lead.post(f"/claims/{claim.id}/review/adjudicate", data={"a-rating": "mixed", "a-reasoning": "Both half right.",
                                                                 "csrf_token": lead.csrf,
                                                                 "next": f"/claims/{claim.id}/review"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/claims/{claim.id}/review")
    assert lead.get(f"/api/v1/claims/{claim.id}").get_json()["status"] == "adjudicated"
    r = lead.post(f"/claims/{claim.id}/review/reopen", data={"r-reason": "Wrong table.", "csrf_token": lead.csrf,
                                                             "next": "https://evil.example/"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/claims/{claim.id}/review")
    r = rita.post(f"/claims/{claim.id}/review/discussion", data={"d-body": "Agreed, reopen.", "csrf_token": rita.csrf})
    assert r.status_code == 302
    assert "Agreed, reopen." in lead.get(f"/claims/{claim.id}/review").get_data(as_text=True)
    r = rita.post(f"/claims/{claim.id}/review/flag", data={"f-reason": "Scope unclear", "csrf_token": rita.csrf})
    assert r.status_code == 302
    assert lead.get(f"/api/v1/claims/{claim.id}").get_json()["flags"][0]["reason"] == "Scope unclear"


def test_dispute_queue_page_reads_in_a_fixed_number_of_queries(login, seeded, db, make_user, query_counter):
    lead, x, y = login("lead"), make_user(), make_user()
    from tests.unit.review.helpers import give_verdict

    def disputes(n):
        for i in range(n):
            claim = make_claim(db, x, f"claim {i}", phrase=PHRASES[i % len(PHRASES)])
            give_verdict(db, x, claim, "true")
            give_verdict(db, y, claim, "false")
    disputes(2)
    with query_counter() as few:
        assert lead.get("/disputes").status_code == 200
    disputes(8)
    with query_counter() as many:
        page = lead.get("/disputes").get_data(as_text=True)
    assert "10 claims where" in page and page.count('class="dispute-item"') == 10
    assert many["n"] == few["n"], many["sql"]


def test_database_keeps_one_live_adjudication_and_no_duplicate_open_task(login, seeded, db, make_user):
    """The partial unique indexes behind the services' checks (for two leads at the same moment)."""
    import pytest
    from sqlalchemy.exc import IntegrityError
    from workbench.review.models import Adjudication
    from workbench.tasks.models import Task, TaskKind
    lead, x = make_user("lead"), make_user()
    claim = make_claim(db, x, verdict="true")
    db.session.add(Adjudication(claim_id=claim.id, lead_id=lead.id, rating="true", reasoning="a"))
    db.session.commit()
    db.session.add(Adjudication(claim_id=claim.id, lead_id=lead.id, rating="false", reasoning="b"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # After a reopen, a new adjudication is allowed and the old row stays.
    from workbench.review import services
    services.reopen(lead, claim, "new data")
    db.session.add(Adjudication(claim_id=claim.id, lead_id=lead.id, rating="false", reasoning="b"))
    db.session.commit()
    assert len(services.adjudications(claim.id)) == 2
    task = dict(kind=TaskKind.CHECK_CLAIM, claim_id=claim.id, post_id=claim.post_id, assignee_id=lead.id,
                created_by_id=lead.id)
    db.session.add(Task(**task))
    db.session.commit()
    db.session.add(Task(**task))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
