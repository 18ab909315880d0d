"""Browser tests: Debian's Chromium driven by Playwright against the app served on 127.0.0.1.

In CI (CI=true) a missing Chromium fails the run; on a developer machine without it the
browser tests are skipped with a message saying what to install.
"""
import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI needs Chromium at {CHROMIUM} for the browser tests (apt-get install chromium)")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def live_server(app):
    """The test's app served on a free loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def browser_login(live_server, make_user, db):
    """browser_login(page, role) → the user, logged in through the real log-in form."""
    def do(page, role="reviewer", user=None):
        user = user or make_user(role)
        username = user.username
        db.session.commit()  # end the test's read transaction before the server writes
        page.goto(live_server + "/login")
        page.fill("#username", username)
        page.fill("#password", "correct horse")
        page.click("button[type=submit]")
        page.wait_for_url(live_server + "/queue")  # a reviewer lands on their queue
        return user
    return do
