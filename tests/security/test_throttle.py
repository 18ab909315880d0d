"""Log-in throttling: what tests/functional/test_auth.py leaves open (the cross-process and
admin-unlock cases are there)."""
from tests.conftest import Client


def _try(app, username, password="wrong password", address="10.0.0.1"):
    c = Client(app.test_client())
    c.c.environ_base["REMOTE_ADDR"] = address
    token = c.fetch_csrf("/login")
    return c.c.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_locked_answer_is_429_with_retry_after_and_says_so(app, make_user):
    make_user("reviewer", "lockme")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):
        resp = _try(app, "lockme")
    assert resp.status_code == 429
    wait = int(resp.headers["Retry-After"])
    assert 0 < wait <= app.config["LOGIN_LOCK_SECONDS"] + 1
    assert "Too many failed log-ins for this account" in resp.get_data(as_text=True)
    # the right password does not get in while the lock holds
    assert _try(app, "lockme", "correct horse").status_code == 429


def test_unknown_user_wrong_password_and_deactivated_look_the_same(app, make_user, db):
    """No account enumeration: the answer does not say which of the three it was."""
    from workbench.auth.models import User
    make_user("reviewer", "exists")
    gone = make_user("reviewer", "deactivated")
    db.session.get(User, gone.id).active = False
    db.session.commit()
    answers = []
    for i, (name, password) in enumerate([("nobody", "whatever1"), ("exists", "wrong pass"),
                                          ("deactivated", "correct horse")]):
        resp = _try(app, name, password, address=f"10.1.0.{i}")
        answers.append((resp.status_code, "Wrong username or password." in resp.get_data(as_text=True)))
    assert answers == [(401, True)] * 3


def test_one_address_trying_many_accounts_is_locked(app, make_user):
    limit = app.config["LOGIN_MAX_FAILURES"] * 4
    statuses = [_try(app, f"guess{i}", address="10.2.0.9").status_code for i in range(limit + 1)]
    assert statuses[-1] == 429 and 401 in statuses
    make_user("reviewer", "innocent")
    resp = _try(app, "innocent", "correct horse", address="10.2.0.9")
    assert resp.status_code == 429
    assert "your address" in resp.get_data(as_text=True)
    # another address is not affected
    assert _try(app, "innocent", "correct horse", address="10.2.0.10").status_code == 302


def test_failures_are_counted_in_the_database(app, make_user, db):
    """Counted where every server process sees them, not in process memory."""
    from sqlalchemy import select
    from workbench.auth.models import LoginThrottle
    make_user("reviewer", "counted")
    for _ in range(2):
        _try(app, "counted", address="10.3.0.1")
    rows = dict(db.session.execute(select(LoginThrottle.key, LoginThrottle.failures)).all())
    assert rows["user:counted"] == 2 and rows["ip:10.3.0.1"] == 2
    assert _try(app, "counted", "correct horse", address="10.3.0.1").status_code == 302
    db.session.commit()
    rows = dict(db.session.execute(select(LoginThrottle.key, LoginThrottle.failures)).all())
    assert rows["user:counted"] == 0
