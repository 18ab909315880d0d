"""The response security headers, one test per header, on every kind of response: a page, the
log-in page seen anonymously, an API answer, an API error, an HTML error and a static file."""
import pytest

from workbench import create_app


@pytest.fixture
def responses(login, anon, seeded):
    reviewer = login("reviewer")
    return {
        "page": reviewer.get("/"),
        "login page": anon.get("/login"),
        "api": reviewer.get("/api/v1/posts"),
        "api 401": anon.get("/api/v1/posts"),
        "api 404": reviewer.get("/api/v1/posts/999999"),
        "html 404": reviewer.get("/posts/999999"),
        "static": reviewer.get("/static/css/workbench.css", buffered=True),
    }


def _directives(csp: str) -> dict:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def test_content_security_policy_forbids_inline_script(responses):
    for kind, resp in responses.items():
        d = _directives(resp.headers["Content-Security-Policy"])
        scripts = d.get("script-src", d.get("default-src"))
        assert scripts == ["'self'"], kind
        assert d["default-src"] == ["'self'"], kind
        assert d["object-src"] == ["'none'"] and d["base-uri"] == ["'none'"], kind
        for words in d.values():
            assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} & set(words) \
                or words is d.get("img-src"), kind
        resp.close()


def test_frame_ancestors_none(responses):
    for kind, resp in responses.items():
        assert _directives(resp.headers["Content-Security-Policy"])["frame-ancestors"] == ["'none'"], kind
        assert resp.headers["X-Frame-Options"] == "DENY", kind  # for browsers without CSP 2
        resp.close()


def test_x_content_type_options_nosniff(responses):
    for kind, resp in responses.items():
        assert resp.headers["X-Content-Type-Options"] == "nosniff", kind
        resp.close()


def test_referrer_policy(responses):
    for kind, resp in responses.items():
        assert resp.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin"), kind
        resp.close()


def test_pages_and_api_answers_are_not_cached(responses):
    """Unpublished verdicts must not linger in a shared browser's or proxy's cache."""
    for kind, resp in responses.items():
        if kind != "static":
            assert "no-store" in resp.headers["Cache-Control"], kind
        resp.close()


def test_strict_transport_security_only_over_https(db_url, tmp_path, monkeypatch):
    plain = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "k", "INSTANCE_PATH": str(tmp_path / "a")})
    assert "Strict-Transport-Security" not in plain.test_client().get("/login").headers
    https = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "k", "INSTANCE_PATH": str(tmp_path / "b"),
                        "PREFERRED_URL_SCHEME": "https"})
    assert https.test_client().get("/login").headers["Strict-Transport-Security"].startswith("max-age=")
