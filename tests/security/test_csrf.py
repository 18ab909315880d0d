"""CSRF on every state-changing route, enumerated from the URL map (routes added later are
covered without editing this file): a logged-in request without the token is refused with 400
and changes nothing; the same request with the token gets past the check; a Bearer-token
request needs no CSRF token (it carries no ambient credential)."""
import re

from tests.conftest import Client
from tests.security.test_authorization import ROUTES, Rule, build_url
from tests.security.world import build_world, fingerprint

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def state_changing_routes(app):
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & STATE_CHANGING):
            out.append((method, rule))
    # log-out last: it ends the session the other requests use
    return sorted(out, key=lambda mr: (mr[1].endpoint == "auth.logout", mr[1].endpoint, mr[0]))


def _body_kw(url, key, world):
    body = ROUTES.get(key, Rule("reviewer")).body
    body = body(world) if callable(body) else body
    return {"json": body or {}} if url.startswith("/api/") else {"data": body or {}}


def _url(app, rule, method, world):
    expect = ROUTES.get(f"{method} {rule.endpoint}", Rule("reviewer"))
    return build_url(app, rule, world, expect.args)


def _is_csrf_refusal(resp) -> bool:
    if resp.status_code != 400:
        return False
    if resp.is_json:
        return resp.get_json()["error"]["code"] == "csrf_failed"
    return "CSRF" in resp.get_data(as_text=True)


def test_forged_requests_are_refused_on_every_state_changing_route(app, db, tmp_path):
    world = build_world(db, tmp_path)
    routes = state_changing_routes(app)
    assert len(routes) >= 20
    for role in ("admin", "owner"):
        c = Client(app.test_client())
        assert c.login(world.names[role]).status_code == 302
        token, c.csrf = c.csrf, None
        for method, rule in routes:
            url = _url(app, rule, method, world)
            before = fingerprint(db)
            for extra in ({}, {"headers": {"X-CSRFToken": "forged"}}, {"headers": {"X-CSRFToken": ""}}):
                resp = c.c.open(url, method=method, **_body_kw(url, f"{method} {rule.endpoint}", world), **extra)
                assert _is_csrf_refusal(resp), (role, method, url, extra, resp.status_code)
            assert fingerprint(db) == before, f"{method} {url} changed data without a CSRF token"
        # A token from another session is no good either: it is bound to its session.
        other = Client(app.test_client())
        other.login(world.names["reviewer"])
        resp = c.c.post("/api/v1/claims", json={}, headers={"X-CSRFToken": other.csrf})
        assert _is_csrf_refusal(resp)
        # The control: with its own token the same client gets past the check on every route.
        c.csrf = token
        for method, rule in routes:
            url = _url(app, rule, method, world)
            resp = c._send(method, url, **_body_kw(url, f"{method} {rule.endpoint}", world))
            assert not _is_csrf_refusal(resp), (role, method, url, resp.status_code)


def test_the_login_form_needs_a_token_too(app, db, tmp_path):
    world = build_world(db, tmp_path)
    anon = app.test_client()
    resp = anon.post("/login", data={"username": world.names["admin"], "password": "correct horse"})
    assert resp.status_code == 400
    assert anon.get("/").status_code == 302  # not logged in


def test_bearer_token_requests_need_no_csrf_token(app, db, tmp_path):
    world = build_world(db, tmp_path)
    client = app.test_client()
    # a Bearer request really changes things without a CSRF token
    resp = client.patch(f"/api/v1/claims/{world.ids['claim_id']}", json={"version": 1, "statement": "via token"},
                        headers=world.bearer("owner"))
    assert resp.status_code == 200 and resp.get_json()["statement"] == "via token"
    for method, rule in state_changing_routes(app):
        if rule.endpoint == "auth.login":
            continue  # the log-in form is for browsers; it always wants its token
        url = _url(app, rule, method, world)
        resp = client.open(url, method=method, headers=world.bearer("admin"),
                           **_body_kw(url, f"{method} {rule.endpoint}", world))
        assert not _is_csrf_refusal(resp), (method, url)
        assert resp.status_code != 401, (method, url)


def test_a_bearer_header_does_not_excuse_a_cookie_session(app, db, tmp_path):
    """A forged cross-site request carries the victim's cookie; adding a made-up Authorization
    header must not switch the CSRF check off."""
    world = build_world(db, tmp_path)
    c = Client(app.test_client())
    c.login(world.names["owner"])
    resp = c.c.patch(f"/api/v1/claims/{world.ids['claim_id']}", json={"version": 1, "statement": "forged"},
                     headers={"Authorization": "Bearer wb_not_a_token"})
    assert resp.status_code in (400, 401)
    assert "forged" not in c.get(f"/api/v1/claims/{world.ids['claim_id']}").get_data(as_text=True)


def test_pages_carry_the_token_for_scripts_and_forms(app, db, tmp_path):
    world = build_world(db, tmp_path)
    c = Client(app.test_client())
    c.login(world.names["owner"])
    html = c.get(f"/posts/{world.ids['post_id']}").get_data(as_text=True)
    assert re.search(r'<meta name="csrf-token" content="[^"]+"', html)
    assert re.search(r'<form method="post" action="/logout"[^>]*>\s*<input type="hidden" name="csrf_token"', html)
