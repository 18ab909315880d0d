"""Sessions: the secret key, the cookie flags, and every way a session must end.

tests/functional/test_auth.py has the basic log-out, deactivation and password-change tests;
these add what they leave open."""
import os
import re
import stat
from pathlib import Path

from sqlalchemy import select

from tests.conftest import Client
from workbench import create_app

ROOT = Path(__file__).resolve().parents[2]


def _app(db_url, instance, **config):
    return create_app({"SQLALCHEMY_DATABASE_URI": db_url, "INSTANCE_PATH": str(instance), **config})


def test_secret_key_is_generated_into_instance_and_kept(db_url, tmp_path):
    first = _app(db_url, tmp_path / "one")
    key_file = tmp_path / "one" / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert re.fullmatch(r"[0-9a-f]{64}", first.config["SECRET_KEY"])
    assert _app(db_url, tmp_path / "one").config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert _app(db_url, tmp_path / "two").config["SECRET_KEY"] != first.config["SECRET_KEY"]


def test_no_secret_key_default_in_the_code():
    for path in (ROOT / "workbench").rglob("*.py"):
        src = path.read_text()
        assert not re.search(r"""SECRET_KEY["']?\s*[=:,]\s*["'][^"']""", src), path
        assert not re.search(r"""setdefault\(\s*["']SECRET_KEY""", src), path


def _login_cookie(app, username):
    c = Client(app.test_client())
    token = c.fetch_csrf("/login")
    resp = c.c.post("/login", data={"username": username, "password": "correct horse", "csrf_token": token})
    assert resp.status_code == 302
    return resp.headers.get("Set-Cookie")


def test_session_cookie_httponly_samesite_not_secure_over_http(app, make_user):
    make_user("reviewer", "plainhttp")
    cookie = _login_cookie(app, "plainhttp")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # or it would never come back over http://127.0.0.1


def test_cookies_are_secure_when_served_over_https(app, db_url, tmp_path, monkeypatch):
    def first_cookie(app):  # the log-in page starts the session (it holds the CSRF secret)
        return app.test_client().get("/login", base_url="https://localhost").headers["Set-Cookie"]

    by_config = _app(db_url, tmp_path / "a", SECRET_KEY="k", PREFERRED_URL_SCHEME="https")
    assert "Secure" in first_cookie(by_config) and "HttpOnly" in first_cookie(by_config)
    monkeypatch.setenv("WORKBENCH_HTTPS", "1")
    by_env = _app(db_url, tmp_path / "b", SECRET_KEY="k")
    assert by_env.config["SESSION_COOKIE_SECURE"] and by_env.config["REMEMBER_COOKIE_SECURE"]
    assert "Secure" in first_cookie(by_env)


def test_session_lifetime_is_bounded(app, make_user):
    make_user("reviewer", "lifetime")
    cookie = _login_cookie(app, "lifetime")
    assert "Expires=" in cookie
    assert 0 < app.permanent_session_lifetime.total_seconds() <= 24 * 3600


def test_logout_ends_only_that_session(login, make_user):
    user = make_user("reviewer")
    laptop, phone = login(user=user), login(user=user)
    assert laptop.post("/logout").status_code == 302
    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 200


def test_a_validly_signed_cookie_for_another_user_is_refused(app, make_user, login):
    """The cookie names a user and a session id; the server checks that they belong together,
    so knowing the secret key's output for one account does not open another."""
    victim = make_user("admin")
    attacker = login("reviewer")
    serializer = app.session_interface.get_signing_serializer(app)
    mine = serializer.loads(attacker.c.get_cookie("session").value)
    assert "sid" in mine
    forged = dict(mine, _user_id=str(victim.id))
    other = app.test_client()
    other.set_cookie("session", serializer.dumps(forged))
    assert other.get("/admin/users").status_code == 302  # back to the log-in page


def test_a_tampered_cookie_is_refused(app, login):
    c = login("reviewer")
    value = c.c.get_cookie("session").value
    other = app.test_client()
    other.set_cookie("session", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert other.get("/").status_code == 302


def test_deactivation_ends_sessions_and_tokens_for_good(login, make_user, app, db):
    from workbench.auth.models import User
    from workbench.auth.services import create_token, update_user
    admin = make_user("admin")
    victim_user = make_user("reviewer")
    token = create_token(victim_user, "script")
    db.session.commit()
    victim = login(user=victim_user)
    stolen = victim.c.get_cookie("session").value
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/posts", headers=bearer).status_code == 200
    update_user(db.session.get(User, victim_user.id), db.session.get(User, admin.id), active=False)
    db.session.commit()
    assert victim.get("/").status_code == 302
    assert app.test_client().get("/api/v1/posts", headers=bearer).status_code == 401
    # Reactivating the account does not revive the old session: it was ended, not paused.
    update_user(db.session.get(User, victim_user.id), db.session.get(User, admin.id), active=True)
    db.session.commit()
    revived = app.test_client()
    revived.set_cookie("session", stolen)
    assert revived.get("/").status_code == 302


def test_admin_password_reset_ends_every_session_of_that_user(login, make_user, db):
    from workbench.auth.models import User, UserSession
    from workbench.auth.services import set_password
    admin = make_user("admin")
    user = make_user("reviewer")
    one, two = login(user=user), login(user=user)
    set_password(db.session.get(User, user.id), "a new long password", db.session.get(User, admin.id))
    db.session.commit()
    assert one.get("/").status_code == 302 and two.get("/").status_code == 302
    open_sessions = db.session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None))).all()
    assert open_sessions == []


def test_revoked_token_is_refused(app, db, make_user):
    from workbench.auth.models import ApiToken
    from workbench.auth.services import create_token, revoke_token
    user = make_user("reviewer")
    secret = create_token(user, "ci")
    db.session.commit()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert app.test_client().get("/api/v1/posts", headers=bearer).status_code == 200
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    revoke_token(user, token_id)
    db.session.commit()
    assert app.test_client().get("/api/v1/posts", headers=bearer).status_code == 401


def test_secret_key_file_is_not_world_readable_even_with_a_loose_umask(db_url, tmp_path):
    old = os.umask(0)
    try:
        _app(db_url, tmp_path / "loose")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "loose" / "secret_key").stat().st_mode) == 0o600
