"""Review pages: the dispute queue, one claim's review (the dispute page), the agreement page,
and the forms they post (flag, discussion, adjudicate, reopen, assign an adjudicator, blind review)."""
from contextlib import contextmanager
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice
from sqlalchemy import func, select

from ..annotations.models import Rating, Verdict, Claim
from ..annotations.presenters import load_claims
from ..annotations.services import get_claim
from ..auth.models import User
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..permissions import Permission, can, require
from . import agreement, charts, services
from .forms import (AdjudicationForm, AdjudicatorForm, BlindReviewForm, ClearFlagForm, DiscussionForm, FlagForm,
                    ReopenForm)

bp = Blueprint("review", __name__)
PER_PAGE = 50
NAV_ITEMS = [("review.disputes", "Disputes", Permission.ADJUDICATE),
             ("review.agreement_page", "Agreement", Permission.SEE_ALL_VERDICTS)]


def _back(claim_id: int):
    target = request.form.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc:
        return redirect(target)
    return redirect(url_for("review.claim", claim_id=claim_id))


def _form_errors(form) -> str:
    return "; ".join(f"{getattr(form, k).label.text}: {' '.join(v)}" for k, v in form.errors.items())


@contextmanager
def _flash_refusal():
    """On a form post, a refused rule (invalid input, a conflict) comes back as a message on the
    page it was sent from; permission and not-found errors still answer 403 and 404."""
    try:
        yield
    except (ValidationError, Conflict) as exc:
        db.session.rollback()
        flash(exc.message, "error")


def review_forms(review: dict) -> dict:
    """The forms the partial `_claim_review.html` renders, prefilled where it helps."""
    leads = [u for u in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
             if can(u, Permission.ADJUDICATE)]
    voters = {v["reviewer"]["id"] for v in review["claim"]["verdicts"] if v["reviewer"]}
    adjudicator = AdjudicatorForm(prefix="t")
    adjudicator.assignee_id.choices = [
        SelectChoice(u.id, u.name + (" (gave a verdict)" if u.id in voters else ""))
        for u in sorted(leads, key=lambda u: (u.id in voters, u.username))]
    modal = (review["differences"] or {}).get("modal") or []
    return {"flag": FlagForm(prefix="f"), "clear": ClearFlagForm(prefix="x"), "discuss": DiscussionForm(prefix="d"),
            "adjudicate": AdjudicationForm(prefix="a", rating=modal[0] if modal else None),
            "reopen": ReopenForm(prefix="r"), "adjudicator": adjudicator}


def history(claim_id: int) -> list:
    from ..annotations.api import history as claim_history, history_json
    return [history_json(e) for e in claim_history(claim_id)]


@bp.get("/disputes")
def disputes():
    require(current_user, Permission.ADJUDICATE)
    ids = services.disputed_claim_ids()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    pages = max(1, -(-len(ids) // PER_PAGE))
    items = load_claims(ids[(page - 1) * PER_PAGE:page * PER_PAGE], current_user)
    firsts = {c["id"]: c["spans"][0] for c in items if c["spans"]}
    texts = services.unit_texts(list(firsts.values()))
    contexts = {cid: services.span_context(s, 140, texts.get((s["post_id"], s["comment_id"]), ""))
                for cid, s in firsts.items()}
    return render_template("review/disputes.html", items=items, contexts=contexts, total=len(ids),
                           page=page, pages=pages)


def review_context(claim_id: int, viewer) -> dict:
    """What `templates/review/_claim_review.html` needs: render_template(..., **review_context(id, user))."""
    review = services.claim_review(claim_id, viewer)
    return {"review": review, "forms": review_forms(review), "ratings": list(Rating),
            "history": history(claim_id) if not review["claim"]["verdicts_hidden"] else []}


@bp.get("/claims/<int:claim_id>/review")
def claim(claim_id: int):
    get_claim(claim_id, current_user)
    return render_template("review/claim.html", **review_context(claim_id, current_user))


@bp.post("/claims/<int:claim_id>/review/flag")
def flag(claim_id: int):
    form = FlagForm(prefix="f")
    claim = get_claim(claim_id, current_user)
    with _flash_refusal():
        if not form.validate_on_submit():
            raise ValidationError("Not flagged. " + _form_errors(form), field="reason")
        services.flag_claim(current_user, claim, form.reason.data)
        db.session.commit()
        flash("Flagged as disputed.", "info")
    return _back(claim_id)


@bp.post("/flags/<int:flag_id>/clear")
def clear_flag(flag_id: int):
    form = ClearFlagForm(prefix="x")
    form.validate()
    row = services.get_flag_row(flag_id)
    with _flash_refusal():
        services.clear_flag(current_user, row, form.reason.data)
        db.session.commit()
        flash("Flag cleared.", "info")
    return _back(row.claim_id)


@bp.post("/claims/<int:claim_id>/review/discussion")
def discuss(claim_id: int):
    form = DiscussionForm(prefix="d")
    claim = get_claim(claim_id, current_user)
    if load_claims([claim_id], current_user)[0]["verdicts_hidden"]:
        flash("Give your own verdict first: under blind review the discussion opens after it.", "error")
    elif form.validate_on_submit():
        services.post_discussion(current_user, claim, form.body.data)
        db.session.commit()
        flash("Posted to the discussion.", "info")
    else:
        flash("Not posted. " + (_form_errors(form) or "write something first."), "error")
    return _back(claim_id)


@bp.post("/claims/<int:claim_id>/review/adjudicate")
def adjudicate(claim_id: int):
    form = AdjudicationForm(prefix="a")
    with _flash_refusal():
        if not form.validate_on_submit():
            raise ValidationError("Not adjudicated. " + _form_errors(form), field="reasoning")
        services.adjudicate(current_user, get_claim(claim_id, current_user), form.rating.data, form.reasoning.data)
        db.session.commit()
        flash(f"Adjudicated: {Rating(form.rating.data).label}. Every verdict stays on the record.", "info")
    return _back(claim_id)


@bp.post("/claims/<int:claim_id>/review/reopen")
def reopen(claim_id: int):
    form = ReopenForm(prefix="r")
    with _flash_refusal():
        if not form.validate_on_submit():
            raise ValidationError("Not reopened. " + _form_errors(form), field="reason")
        services.reopen(current_user, get_claim(claim_id, current_user), form.reason.data)
        db.session.commit()
        flash("Adjudication reopened; the claim is back in the dispute queue.", "info")
    return _back(claim_id)


@bp.post("/claims/<int:claim_id>/review/adjudicator")
def assign_adjudicator(claim_id: int):
    """One click for a lead: an adjudicate_claim task on this claim for the chosen lead."""
    from ..tasks.models import TaskKind
    from ..tasks.services import TaskIn, create_task
    require(current_user, Permission.ASSIGN)
    form = AdjudicatorForm(prefix="t")
    form.assignee_id.choices = [SelectChoice(u.id, u.name) for u in db.session.scalars(select(User))]
    get_claim(claim_id, current_user)
    with _flash_refusal():
        if not form.validate_on_submit():
            raise ValidationError("No task created. " + _form_errors(form), field="assignee_id")
        task = create_task(current_user, TaskIn(TaskKind.ADJUDICATE_CLAIM, form.assignee_id.data, claim_id=claim_id,
                                                due_date=form.due_date.data, priority=1))
        db.session.commit()
        flash(f"Adjudication assigned to {task.assignee.name}.", "info")
    return _back(claim_id)


@bp.post("/settings/blind-review")
def blind_review():
    form = BlindReviewForm()
    form.validate()
    services.set_blind_review(current_user, bool(form.blind_review.data))
    db.session.commit()
    flash("Blind review is " + ("on." if form.blind_review.data else "off: everyone sees every verdict."), "info")
    return redirect(request.referrer if request.referrer and urlsplit(request.referrer).path == url_for("tasks.team")
                    else url_for("tasks.team"))


@bp.get("/agreement")
def agreement_page():
    require(current_user, Permission.SEE_ALL_VERDICTS)
    report = agreement.agreement_report()
    chart = charts.bar_chart([(c["category"], c["alpha"], "alpha") for c in report["per_category"]],
                             "Krippendorff's alpha per category", lo=min([0.0] + [c["alpha"] for c in
                                                                                   report["per_category"]
                                                                                   if c["alpha"] is not None]),
                             hi=1.0) if report["per_category"] else None
    return render_template("review/agreement.html", report=report, chart=chart)


def verdict_distribution() -> list[tuple[str, int, str]]:
    rows = dict(db.session.execute(select(Verdict.rating, func.count()).join(Claim, Claim.id == Verdict.claim_id)
                                   .where(Verdict.superseded_at.is_(None), Claim.retracted_at.is_(None))
                                   .group_by(Verdict.rating)).all())
    return [(r.label, rows.get(r, 0) or rows.get(r.value, 0), r.value) for r in Rating]


def team_charts(counts: list[dict]) -> dict:
    """The team page's charts: workload per person, progress by week, verdicts, agreement."""
    from ..tasks.services import progress
    prog = progress()
    report = agreement.agreement_report()
    per_cat = report["per_category"]
    return {
        "workload": charts.grouped_bars([(r["user"].name, {"open": r["open"], "overdue": r["overdue"],
                                                           "done": r["done"]}) for r in counts],
                                        ["open", "overdue", "done"], "Open, overdue and done tasks per reviewer"),
        "progress": charts.line_chart([w.strftime("%-d %b") for w in prog["weeks"]],
                                      {"done": prog["done"], "created": prog["created"]},
                                      "Tasks done and created per week"),
        "verdicts": charts.bar_chart(verdict_distribution(), "Current verdicts by rating"),
        "agreement": charts.bar_chart([(c["category"], c["alpha"], "alpha") for c in per_cat],
                                      "Krippendorff's alpha per category",
                                      lo=min([0.0] + [c["alpha"] for c in per_cat if c["alpha"] is not None]),
                                      hi=1.0) if per_cat else None,
        "overall": report["overall"],
    }
