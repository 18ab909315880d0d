"""`workbench demo` writes example review work once: claims on the seeds' figures, two reviewers
who agree and disagree, a claim seen in two places, open tasks; every verdict says it is an example."""
import pytest
from sqlalchemy import func, select

from tests.functional.test_cli import run, scalar


@pytest.fixture
def demo_team(make_user):
    return {name: make_user(role, username=name) for name, role in
            (("lead", "lead"), ("rita", "reviewer"), ("ravi", "reviewer"))}


def test_examples_are_written_once_through_the_services(app, db, seeded, demo_team, login):
    from workbench.annotations.models import Claim, ClaimSpan, Source, Verdict
    from workbench.audit import AuditEvent
    from workbench.demo import EXAMPLES, NOTE, seed_examples
    from workbench.review.services import disputed_claim_ids
    from workbench.tasks.models import Task

    assert seed_examples() == len(EXAMPLES) == 7
    db.session.commit()
    assert seed_examples() == 0          # a database with claims is left alone
    db.session.commit()
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(Claim) == 7 and count(ClaimSpan) == 8 and count(Task) == 2
    assert {v.rationale for v in db.session.scalars(select(Verdict))} == {NOTE}
    assert all(s.publisher for s in db.session.scalars(select(Source)))
    # Written as the API writes: an audit event for every claim, span, source and verdict.
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "span", AuditEvent.action == "create")) == 8

    disputed = {db.session.get(Claim, cid).statement for cid in disputed_claim_ids()}
    assert disputed == {EXAMPLES[0].statement, EXAMPLES[2].statement}

    lead = login("lead", demo_team["lead"])
    page = lead.get("/disputes").get_data(as_text=True)
    assert "£300 million" in page and "£115m" in page
    # Every span points at its words, shown in context on the claim's page.
    for span in db.session.scalars(select(ClaimSpan)):
        assert span.exact in lead.get(f"/claims/{span.claim_id}").get_data(as_text=True)


def test_demo_command_writes_examples_unless_asked_not_to(tmp_path):
    import os
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite'}")
    first = run(["demo", "--no-serve"], env)
    assert first.returncode == 0, first.stderr
    assert "7 example claims" in first.stdout
    assert scalar(env, "SELECT count(*) FROM claim") == 7
    assert run(["demo", "--no-serve"], env).returncode == 0
    assert scalar(env, "SELECT count(*) FROM claim") == 7      # not twice

    bare = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'bare.sqlite'}")
    assert run(["demo", "--no-serve", "--no-examples"], bare).returncode == 0
    assert scalar(bare, "SELECT count(*) FROM claim") == 0
    assert scalar(bare, "SELECT count(*) FROM post") == 5
