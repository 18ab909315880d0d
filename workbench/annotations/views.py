"""Claim pages: one claim with its spans in context, sources, verdicts and history, the forms
to edit, retract, restore and give a verdict; and the categories admin. The HTML forms call
the same services as the JSON API: edit, retract, restore, add a source, give a verdict."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from .. import audit
from ..corpus.models import Post
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..permissions import Permission, can, require
from . import presenters, schemas, services
from .api import visible_history
from .models import Category, Rating, Stance
from .spans import unit_text

bp = Blueprint("annotations", __name__)
NAV_ITEMS = [("annotations.categories", "Categories", Permission.MANAGE_CATEGORIES)]

CONTEXT_CHARS = 240  # code points of context shown either side of a quoted span


class ClaimEditForm(FlaskForm):
    version = IntegerField("Version", validators=[InputRequired()])
    statement = TextAreaField("Statement", validators=[DataRequired(), Length(max=2000)])
    category = SelectField("Category", choices=[], validate_choice=False)
    reason = StringField("Why (optional)", validators=[Optional(), Length(max=2000)])


class ReasonForm(FlaskForm):
    reason = StringField("Reason", validators=[Optional(), Length(max=2000)])


class VerdictForm(FlaskForm):
    rating = SelectField("Rating", choices=[SelectChoice(r.value, r.label) for r in Rating])
    rationale = TextAreaField("Rationale", validators=[Optional(), Length(max=20000)])


class SourceForm(FlaskForm):
    url = StringField("Link", validators=[DataRequired(), Length(max=2000)])
    title = StringField("Title", validators=[Optional(), Length(max=1000)])
    publisher = StringField("Publisher", validators=[Optional(), Length(max=500)])
    stance = SelectField("Stance", choices=[SelectChoice(s.value, s.value) for s in Stance], default="context")
    quote = TextAreaField("Quote", validators=[Optional(), Length(max=20000)])
    locator = StringField("Where in it (page, table, paragraph)", validators=[Optional(), Length(max=500)])
    accessed = StringField("Accessed (YYYY-MM-DD)", validators=[Optional(), Length(max=10)])


class CategoryForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])


def span_contexts(spans: list[dict]) -> list[dict]:
    """Each appearance with the words around it, its post and date and a link to it on the post
    page, the first appearance (by post date) first."""
    posts = {p.id: p for p in db.session.scalars(select(Post).where(Post.id.in_({s["post_id"] for s in spans})))}
    spans = sorted(spans, key=lambda s: (posts[s["post_id"]].date, s["post_id"], s["comment_path"] is not None,
                                         s["comment_path"] or "", s["start"]))
    out = []
    for s in spans:
        text = unit_text(s["post_id"], s["comment_id"])
        anchor = "c" + s["comment_path"].replace(".", "-") if s["comment_path"] else "post"
        out.append({**s, "before": text[max(0, s["start"] - CONTEXT_CHARS):s["start"]],
                    "after": text[s["end"]:s["end"] + CONTEXT_CHARS],
                    "clipped_before": s["start"] > CONTEXT_CHARS,
                    "clipped_after": s["end"] + CONTEXT_CHARS < len(text),
                    "href": url_for("corpus.post", post_id=s["post_id"]) + "#" + anchor,
                    "where": f"comment {s['comment_path']}" if s["comment_path"] else "the post",
                    "post_title": posts[s["post_id"]].title, "post_date": posts[s["post_id"]].date})
    return out


def _render_claim(claim_id: int, status: int = 200, edit_form=None, conflict=None, source_form=None):
    claim = services.get_claim(claim_id, current_user)
    data = presenters.load_claims([claim_id], current_user)[0]
    names = [c.name for c in services.categories()]
    if edit_form is None:
        edit_form = ClaimEditForm(formdata=None, version=claim.version, statement=claim.statement,
                                  category=claim.category.name)
    names = names if claim.category.name in names else [claim.category.name, *names]
    edit_form.category.choices = [SelectChoice(n, n) for n in names]
    mine = data["my_verdict"]
    verdict_form = VerdictForm(formdata=None, rating=mine["rating"] if mine else None,
                               rationale=mine["rationale"] if mine else "")
    return render_template(
        "annotations/claim.html", claim=data, model=claim, post=db.session.get(Post, claim.post_id),
        contexts=span_contexts(data["spans"]), events=_history(claim_id, data["verdicts_hidden"]),
        edit_form=edit_form, verdict_form=verdict_form, reason_form=ReasonForm(formdata=None),
        source_form=source_form or SourceForm(formdata=None),
        can_annotate=can(current_user, Permission.ANNOTATE),
        conflict=conflict, can_edit=can(current_user, Permission.EDIT_ANY_CLAIM, claim),
        can_verdict=can(current_user, Permission.VERDICT)), status


def _history(claim_id: int, verdicts_hidden: bool) -> list[dict]:
    return visible_history(claim_id, verdicts_hidden)


def _failed(claim_id: int, exc, **render) -> tuple:
    """A refused form: roll back, say why, and show the page again (with the form as typed)."""
    db.session.rollback()
    flash(exc.message, "error")
    return _render_claim(claim_id, exc.status, **render)


def _form_errors(form) -> str:
    return "; ".join(f"{getattr(form, name).label.text}: {' '.join(errs)}" for name, errs in form.errors.items())


@bp.get("/claims/<int:claim_id>")
def claim(claim_id: int):
    return _render_claim(claim_id)


@bp.post("/claims/<int:claim_id>/edit")
def edit_claim(claim_id: int):
    claim = services.get_claim(claim_id, current_user)
    form = ClaimEditForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "error")
        return _render_claim(claim_id, 422, edit_form=form)
    yours = {"statement": " ".join(form.statement.data.split()), "category": form.category.data}
    try:
        # Send only what changed: the form always carries both fields.
        changes = {k: v for k, v in yours.items()
                   if v != (claim.statement if k == "statement" else claim.category.name)}
        services.update_claim(current_user, claim, {**changes, "version": form.version.data,
                                                    "reason": form.reason.data or None})
        db.session.commit()
    except Conflict as exc:
        db.session.rollback()
        claim = services.get_claim(claim_id, current_user)
        current = {"statement": claim.statement, "category": claim.category.name}
        form.version.data = claim.version  # a second save applies yours over what is there now
        form.version.raw_data = [str(claim.version)]
        conflict = {"message": exc.message, "yours": yours, "current": current, "version": claim.version,
                    "changed": [k for k in ("statement", "category") if yours[k] != current[k]]}
        return _render_claim(claim_id, 409, edit_form=form, conflict=conflict)
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render_claim(claim_id, 422, edit_form=form)
    flash("Claim saved.", "info")
    return redirect(url_for(".claim", claim_id=claim_id), 303)


@bp.post("/claims/<int:claim_id>/<any(retract, restore):action>")
def retract_or_restore(claim_id: int, action: str):
    claim = services.get_claim(claim_id, current_user)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "error")
        return _render_claim(claim_id, 422)
    operation = services.retract_claim if action == "retract" else services.restore_claim
    try:
        operation(current_user, claim, {"reason": form.reason.data or None})
        db.session.commit()
    except (Conflict, ValidationError) as exc:
        return _failed(claim_id, exc)
    flash("Claim retracted: it is hidden from the post." if action == "retract" else "Claim restored.", "info")
    return redirect(url_for(".claim", claim_id=claim_id), 303)


@bp.post("/claims/<int:claim_id>/sources")
def add_source(claim_id: int):
    """A source for the claim from its own page (the post page and the API add them too)."""
    claim = services.get_claim(claim_id, current_user)
    form = SourceForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "error")
        return _render_claim(claim_id, 422, source_form=form)
    try:
        services.add_source(current_user, claim, schemas.parse_source(
            {name: getattr(form, name).data or None for name in
             ("url", "title", "publisher", "stance", "quote", "locator", "accessed")}, "source"))
        db.session.commit()
    except (Conflict, ValidationError) as exc:
        return _failed(claim_id, exc, source_form=form)
    flash("Source added.", "info")
    return redirect(url_for(".claim", claim_id=claim_id) + "#sources-h", 303)


@bp.post("/claims/<int:claim_id>/verdict")
def give_verdict(claim_id: int):
    claim = services.get_claim(claim_id, current_user)
    form = VerdictForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "error")
        return _render_claim(claim_id, 422)
    try:
        services.set_verdict(current_user, claim, schemas.parse_verdict(
            {"rating": form.rating.data, "rationale": form.rationale.data or ""}))
        db.session.commit()
    except (Conflict, ValidationError) as exc:
        return _failed(claim_id, exc)
    flash("Your verdict is saved.", "info")
    return redirect(url_for(".claim", claim_id=claim_id), 303)


@bp.route("/admin/categories", methods=["GET", "POST"])
def categories():
    require(current_user, Permission.MANAGE_CATEGORIES)
    form, status = CategoryForm(prefix="new"), 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                cat = services.save_category(current_user, form.name.data)
                audit.record(current_user, "category", cat.id, "create", after={"name": cat.name})
                db.session.commit()
                flash(f"Category {cat.name!r} added.", "info")
                return redirect(url_for(".categories"), 303)
            except (Conflict, ValidationError) as exc:
                db.session.rollback()
                flash(exc.message, "error")
                status = exc.status
        else:
            flash(_form_errors(form), "error")
            status = 422
    return render_template("annotations/categories.html", form=form, rename=CategoryForm(formdata=None),
                           items=services.categories(include_archived=True)), status


@bp.post("/admin/categories/<int:category_id>")
def update_category(category_id: int):
    require(current_user, Permission.MANAGE_CATEGORIES)
    cat = db.session.get(Category, category_id)
    before = None if cat is None else {"name": cat.name, "archived": cat.archived_at is not None}
    archived = {"archive": True, "unarchive": False}.get(request.form.get("action", ""))
    form = CategoryForm()
    if archived is not None and cat is not None:
        form.name.data = cat.name  # the archive buttons send no name
    elif not form.validate_on_submit():
        flash(_form_errors(form) or "A name is required.", "error")
        return redirect(url_for(".categories"), 303)
    try:
        cat = services.save_category(current_user, form.name.data, category_id, archived)
    except (Conflict, ValidationError) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".categories"), 303)
    audit.record(current_user, "category", cat.id, "update", before=before,
                 after={"name": cat.name, "archived": cat.archived_at is not None})
    db.session.commit()
    flash(f"Category {cat.name!r} saved.", "info")
    return redirect(url_for(".categories"), 303)
