"""A refusal that says when to try again carries Retry-After on every kind of answer."""
from workbench.errors import Locked


def test_retry_after_on_html_and_json_answers(app, login):
    @app.get("/_test/locked")
    def _locked():
        raise Locked("Too many tries; wait a minute.", retry_after=60)

    client = login("reviewer")
    html = client.get("/_test/locked", headers={"Accept": "text/html"})
    assert html.status_code == 429 and html.headers["Retry-After"] == "60"
    assert "Too many tries; wait a minute." in html.get_data(as_text=True)
    api = client.get("/_test/locked", headers={"Accept": "application/json"})
    assert api.status_code == 429 and api.headers["Retry-After"] == "60"
    assert api.get_json()["error"]["code"] == "locked"
