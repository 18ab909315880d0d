"""Log-in, sessions, roles, throttling and API tokens, through real HTTP."""
import pytest
from sqlalchemy import select

from workbench import create_app
from workbench.auth.models import LoginThrottle


def test_every_route_requires_login(app, anon):
    """Walk the URL map: anonymous GETs are redirected (pages) or get 401 JSON (API)."""
    public = {"auth.login", "static"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in public:
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "x")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = anon.c.open(url, method=method)
            if url.startswith("/api/"):
                assert resp.status_code == 401, (method, url)
                assert resp.get_json()["error"]["code"] == "unauthorized"
            elif method == "GET":
                assert resp.status_code == 302 and "/login" in resp.location, (method, url)
            else:
                assert resp.status_code in (400, 401), (method, url)
            checked += 1
    assert checked >= 8


def test_login_and_logout(make_user, app):
    from tests.conftest import Client
    user = make_user("reviewer", "maria")
    c = Client(app.test_client())
    assert c.login("maria", "wrong password").status_code == 401
    assert c.login("maria").status_code == 302
    assert c.get("/").status_code == 200
    stolen = c.c.get_cookie("session").value
    resp = c.post("/logout")
    assert resp.status_code == 302
    assert c.get("/").status_code == 302
    # The old cookie no longer works: logout ended the session on the server.
    other = app.test_client()
    other.set_cookie("session", stolen)
    assert other.get("/").status_code == 302
    assert user.id


def test_login_rejects_offsite_next(make_user, app):
    from tests.conftest import Client
    make_user("reviewer", "nina")
    c = Client(app.test_client())
    token = c.fetch_csrf("/login")
    resp = c.c.post("/login?next=https://evil.example/", data={"username": "nina", "password": "correct horse",
                                                                "csrf_token": token})
    assert resp.status_code == 302 and resp.location == "/queue"  # the reviewer's home: their queue


def test_login_form_needs_csrf(make_user, app):
    make_user("reviewer", "olga")
    resp = app.test_client().post("/login", data={"username": "olga", "password": "correct horse"})
    assert resp.status_code == 400


def test_deactivated_user_is_out_at_once(login, make_user):
    admin = login("admin")
    victim_user = make_user("reviewer")
    victim = login(user=victim_user)
    assert victim.get("/").status_code == 200
    resp = admin.post(f"/admin/users/{victim_user.id}", data={"role": "reviewer"})  # active unchecked
    assert resp.status_code == 302
    assert victim.get("/").status_code == 302
    assert victim.get("/api/v1/posts").status_code == 401


def test_password_change_ends_other_sessions(login, make_user, app):
    from tests.conftest import Client
    user = make_user("reviewer")
    first, second = login(user=user), login(user=user)
    resp = first.post("/account", data={"pw-password": "a new password", "pw-csrf_token": first.csrf})
    assert resp.status_code == 302
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302
    again = Client(app.test_client())
    assert again.login(user.username, "a new password").status_code == 302


def test_reviewer_cannot_manage_users(login):
    reviewer = login("reviewer")
    assert reviewer.get("/admin/users").status_code == 403
    assert reviewer.post("/admin/users", data={"username": "x", "password": "12345678", "role": "admin"}).status_code == 403
    lead = login("lead")
    assert lead.get("/admin/users").status_code == 403


def test_admin_creates_user_who_can_log_in(login, app):
    from tests.conftest import Client
    admin = login("admin")
    resp = admin.post("/admin/users", data={"username": "newbie", "display_name": "New B",
                                            "role": "lead", "password": "long enough"})
    assert resp.status_code == 302
    c = Client(app.test_client())
    assert c.login("newbie", "long enough").status_code == 302
    assert "lead" in c.get("/").get_data(as_text=True)


def test_throttle_locks_account_across_processes(make_user, app, db_url, db, tmp_path):
    """Failures are counted in the database, so a second app instance sees the lock."""
    from tests.conftest import Client
    make_user("reviewer", "target")
    app.config["LOGIN_SLOWDOWN_AFTER"] = 99
    c = Client(app.test_client())
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        c.login("target", "bad guess")
    other_app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "k", "TESTING": True,
                            "INSTANCE_PATH": str(tmp_path / "i2")})
    with other_app.app_context():
        other = Client(other_app.test_client())
        resp = other.login("target")  # right password, but the account is locked
        assert resp.status_code == 429
        assert "Too many failed log-ins" in resp.get_data(as_text=True)
        from workbench.extensions import db as db2
        db2.session.remove()
        db2.engine.dispose()
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == "user:target"))
    assert row.failures >= app.config["LOGIN_MAX_FAILURES"] and row.locked_until is not None


def test_repeated_failures_slow_down(make_user, app):
    from tests.conftest import Client
    make_user("reviewer", "slow")
    c = Client(app.test_client())
    codes = [c.login("slow", "bad guess").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert "Try again in" in c.login("slow").get_data(as_text=True)


def test_admin_unlocks_account(make_user, login, app, db):
    from tests.conftest import Client
    user = make_user("reviewer", "locked1")
    app.config["LOGIN_SLOWDOWN_AFTER"] = 99
    c = Client(app.test_client())
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        c.login("locked1", "bad guess")
    assert c.login("locked1").status_code == 429
    admin = login("admin")
    assert "Unlock" in admin.get("/admin/users").get_data(as_text=True)
    assert admin.post(f"/admin/users/{user.id}/unlock").status_code == 302
    # The address counter is separate; a fresh client address logs in.
    fresh = Client(app.test_client())
    fresh.c.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    assert fresh.login("locked1").status_code == 302


def test_api_token(login, app):
    reviewer = login("reviewer")
    resp = reviewer.post("/account", data={"tok-name": "script", "tok-csrf_token": reviewer.csrf})
    html = resp.get_data(as_text=True)
    import re
    token = re.search(r'<code class="token">(wb_[^<]+)</code>', html).group(1)
    bare = app.test_client()
    ok = bare.get("/api/v1/posts", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    assert bare.get("/api/v1/posts", headers={"Authorization": "Bearer wb_wrong"}).status_code == 401
    assert "wb_" not in reviewer.get("/account").get_data(as_text=True).replace(token[:10], "")


def test_security_headers(login):
    resp = login("reviewer").get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    cookie = resp.request.environ.get("HTTP_COOKIE", "")
    assert cookie


def test_session_cookie_flags(make_user, app):
    from tests.conftest import Client
    make_user("reviewer", "cookies")
    c = Client(app.test_client())
    token = c.fetch_csrf("/login")
    resp = c.c.post("/login", data={"username": "cookies", "password": "correct horse", "csrf_token": token})
    set_cookie = resp.headers.get("Set-Cookie")
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
