"""Log in and out, the account page (password, API tokens) and the admin's user list."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from ..errors import Locked
from ..extensions import db
from ..permissions import Permission, require
from . import services
from .forms import EditUserForm, EmptyForm, LoginForm, NewUserForm, PasswordForm, TokenForm
from .models import ApiToken, LoginThrottle, User

bp = Blueprint("auth", __name__)
NAV_ITEMS = [("auth.users", "Users", Permission.MANAGE_USERS)]


def _safe_next(target: str | None) -> str:
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/") \
            and not target.startswith("//"):
        return target
    # A reviewer's home is their queue of tasks; the corpus is one click away in the top bar.
    return url_for("tasks.my_queue") if "tasks.my_queue" in current_app.view_functions else url_for("corpus.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data, request.remote_addr or "")
        except Locked as exc:
            db.session.commit()
            flash(exc.message, "error")
            return render_template("auth/login.html", form=form), 429, \
                {"Retry-After": str(exc.extra.get("retry_after", 1))}
        if user is None:
            db.session.commit()  # keep the failure count
            flash("Wrong username or password.", "error")
            status = 401
        else:
            sid = services.start_session(user, request.user_agent.string or "")
            db.session.commit()
            session.clear()
            session.permanent = True
            session["sid"] = sid
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    services.end_session(session.get("sid"))
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
def account():
    password_form, token_form = PasswordForm(prefix="pw"), TokenForm(prefix="tok")
    new_token = None
    if request.method == "POST" and "pw-password" in request.form:
        if password_form.validate_on_submit():
            services.set_password(current_user, password_form.password.data, current_user, session.get("sid"))
            db.session.commit()
            flash("Password changed; your other sessions were ended.", "info")
            return redirect(url_for("auth.account"))
    elif request.method == "POST" and token_form.validate_on_submit():
        new_token = services.create_token(current_user, token_form.name.data)
        db.session.commit()
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                                .order_by(ApiToken.id.desc())).all()
    return render_template("auth/account.html", password_form=password_form, token_form=token_form,
                           tokens=tokens, new_token=new_token, empty=EmptyForm())


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    EmptyForm().validate_on_submit()
    services.revoke_token(current_user, token_id)
    db.session.commit()
    flash("Token revoked.", "info")
    return redirect(url_for("auth.account"))


@bp.route("/admin/users", methods=["GET", "POST"])
def users():
    require(current_user, Permission.MANAGE_USERS)
    form = NewUserForm()
    if form.validate_on_submit():
        user = services.create_user(form.username.data, form.password.data, form.role.data,
                                    form.display_name.data or "", actor=current_user)
        db.session.commit()
        flash(f"Created {user.username}.", "info")
        return redirect(url_for("auth.users"))
    people = db.session.scalars(select(User).order_by(User.username)).all()
    locked = {row.key[5:] for row in db.session.scalars(select(LoginThrottle).where(
        LoginThrottle.key.like("user:%"), LoginThrottle.locked_until.is_not(None)))}
    return render_template("auth/users.html", form=form, people=people, locked=locked,
                           edit_form=EditUserForm(), empty=EmptyForm())


@bp.post("/admin/users/<int:user_id>")
def edit_user(user_id: int):
    require(current_user, Permission.MANAGE_USERS)
    form = EditUserForm()
    if form.validate_on_submit():
        user = services.get_user(user_id)
        services.update_user(user, current_user, role=form.role.data, active=form.active.data)
        db.session.commit()
        flash(f"Saved {user.username}.", "info")
    return redirect(url_for("auth.users"))


@bp.post("/admin/users/<int:user_id>/unlock")
def unlock_user(user_id: int):
    require(current_user, Permission.MANAGE_USERS)
    EmptyForm().validate_on_submit()
    user = services.get_user(user_id)
    services.unlock(user.username, current_user)
    db.session.commit()
    flash(f"Unlocked {user.username}.", "info")
    return redirect(url_for("auth.users"))
