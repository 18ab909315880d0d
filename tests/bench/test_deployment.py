"""Team deployment settings: behind a reverse proxy the real client address is used (log-in
throttling counts per address), and only when the operator says how many proxies to trust."""
import re

import pytest
from sqlalchemy import select

from workbench import create_app
from workbench.auth.models import LoginThrottle


@pytest.fixture
def proxied_app(app, db_url, tmp_path):
    """A second app on the same test database, configured as if behind one nginx."""
    return create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test-secret", "TESTING": True,
                       "INSTANCE_PATH": str(tmp_path / "proxied"), "TRUSTED_PROXIES": 1})


def fail_login(flask_app, headers):
    client = flask_app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    return client.post("/login", data={"username": "nobody", "password": "wrong password",
                                       "csrf_token": token}, headers=headers)


def throttle_keys(db):
    db.session.commit()
    return set(db.session.scalars(select(LoginThrottle.key)))


def test_forwarded_address_is_used_only_when_proxies_are_trusted(app, db, proxied_app):
    headers = {"X-Forwarded-For": "203.0.113.7"}
    with proxied_app.app_context():
        fail_login(proxied_app, headers)
        from workbench.extensions import db as proxied_db
        proxied_db.session.remove()
        proxied_db.engine.dispose()
    assert "ip:203.0.113.7" in throttle_keys(db)
    fail_login(app, {"X-Forwarded-For": "198.51.100.9"})   # the default app trusts no header
    keys = throttle_keys(db)
    assert "ip:198.51.100.9" not in keys and "ip:127.0.0.1" in keys


def test_sqlite_is_set_up_for_several_processes(db):
    """WAL (readers never block the writer), a busy timeout (writers queue instead of failing)
    and foreign keys, on every connection the app opens."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
