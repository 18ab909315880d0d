"""The JSON API never answers 5xx to malformed input.

Every operation in /api/v1/openapi.json (operations added later are fuzzed too) gets a bounded
number of hypothesis examples: bodies shaped by the operation's schema with some values
swapped for arbitrary JSON (wrong types, huge numbers, NUL characters, deep nesting), raw bytes
sent as JSON, and odd path and query values. Logged in as an admin (every permission, so the
input reaches the services), with the CSRF header. Examples are derandomized, so CI is stable.
"""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Client
from tests.security.world import build_world

EXAMPLES = 25

JSON_SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-2**70, max_value=2**70)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30)
                | st.sampled_from(["", "\x00", "0", "-1", "1e999", "true", "null", "🙂" * 3, "a" * 5000,
                                  "2019-02-30", "javascript:alert(1)", "http://", "<script>"]))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)


def _resolve(schema, spec):
    while isinstance(schema, dict) and "$ref" in schema:
        node = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def from_schema(schema, spec, depth=0):
    """Values that mostly fit the schema, sometimes not at all."""
    schema = _resolve(schema or {}, spec)
    if depth > 4:
        return JSON_SCALARS
    if "allOf" in schema:
        merged = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            part = _resolve(part, spec)
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        schema = merged
    if "enum" in schema:
        fitting = st.sampled_from(schema["enum"])
    else:
        kinds = schema.get("type", "object" if "properties" in schema else None)
        kinds = kinds if isinstance(kinds, list) else [kinds]
        options = []
        for kind in kinds:
            if kind == "object":
                props = schema.get("properties", {})
                required = [k for k in schema.get("required", []) if k in props]
                optional = [k for k in props if k not in required]
                options.append(st.fixed_dictionaries(
                    {k: from_schema(props[k], spec, depth + 1) for k in required},
                    optional={k: from_schema(props[k], spec, depth + 1) for k in optional}))
            elif kind == "array":
                options.append(st.lists(from_schema(schema.get("items"), spec, depth + 1), max_size=4))
            elif kind == "integer":
                options.append(st.integers(min_value=-3, max_value=50) | st.integers())
            elif kind == "number":
                options.append(st.floats(allow_nan=False, allow_infinity=False))
            elif kind == "boolean":
                options.append(st.booleans())
            elif kind == "string":
                options.append(st.text(max_size=40) | st.sampled_from(
                    ["https://example.org/x", "2024-01-31", "true", "1", "\x00", "a" * 3000]))
            elif kind == "null":
                options.append(st.none())
        fitting = st.one_of(options) if options else JSON_VALUES
    return st.one_of(fitting, fitting, fitting, JSON_VALUES)  # mostly shaped, sometimes anything


def operations(spec):
    for path, item in sorted(spec["paths"].items()):
        for method, op in sorted(item.items()):
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method.upper(), op


def _param_strategy(param, spec, world):
    param = _resolve(param, spec)
    name = param["name"]
    if param.get("in") == "path":
        known = [v for k, v in world.ids.items() if isinstance(v, int)]
        return st.one_of(st.sampled_from(known), st.integers(min_value=0, max_value=2**63 + 5),
                         st.just(world.ids.get(name, 1)))
    return st.one_of(from_schema(param.get("schema"), spec).map(lambda v: v if isinstance(v, str) else json.dumps(v)),
                     st.text(max_size=20))


def request_strategy(path, method, op, spec, world):
    params = [_resolve(p, spec) for p in op.get("parameters", [])]
    path_params = {p["name"]: _param_strategy(p, spec, world) for p in params if p.get("in") == "path"}
    query_params = {p["name"]: _param_strategy(p, spec, world) for p in params if p.get("in") == "query"}
    body_schema = (op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema"))
    if method == "GET":
        body = st.just(None)
    else:
        body = st.one_of(
            from_schema(body_schema, spec).map(lambda v: ("json", v)),
            JSON_VALUES.map(lambda v: ("json", v)),
            st.binary(max_size=60).map(lambda b: ("raw", b)),
            st.sampled_from([("raw", b"{"), ("raw", b'{"a": 1e999999}'), ("raw", b"\xff\xfe{}"),
                             ("raw", b'{"version": 1' + b"]" * 5), ("raw", b"[" * 5000 + b"]" * 5000),
                             ("form", {"a": "b"}), ("none", None)]))
    return st.fixed_dictionaries({
        "path": st.fixed_dictionaries(path_params),
        "query": st.fixed_dictionaries({}, optional=query_params),
        "body": body})


def test_the_api_never_answers_5xx_to_malformed_input(app, db, tmp_path):
    world = build_world(db, tmp_path)
    client = Client(app.test_client())
    assert client.login(world.names["admin"]).status_code == 302
    spec = client.get("/api/v1/openapi.json").get_json()
    failures = []
    ops = list(operations(spec))
    assert len(ops) >= 15

    for path, method, op in ops:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), print_blob=False)
        @given(request_strategy(path, method, op, spec, world))
        def fuzz(req):
            url = "/api/v1" + path
            for name, value in req["path"].items():
                url = url.replace("{" + name + "}", str(value))
            kind, payload = req["body"] if req["body"] else ("none", None)
            kw = {"query_string": req["query"], "buffered": True}
            if kind == "json":
                kw.update(data=json.dumps(payload), content_type="application/json")
            elif kind == "raw":
                kw.update(data=payload, content_type="application/json")
            elif kind == "form":
                kw.update(data=payload)
            try:
                resp = client._send(method, url, **kw) if method != "GET" else client.get(url, **kw)
            except Exception as exc:  # PROPAGATE_UNEXPECTED: what a real server would answer with 500
                raise AssertionError(f"{method} {url} {kind} {str(payload)[:200]!r} raised {exc!r}"[:600])
            assert resp.status_code < 500, f"{method} {url} {kind} {str(payload)[:200]!r} -> {resp.status_code}"
            if resp.status_code >= 400 and resp.mimetype == "application/json":
                assert "error" in resp.get_json(), (method, url)
            assert resp.status_code != 401, "the session was lost"  # the fuzz must stay logged in

        try:
            fuzz()
        except Exception as exc:  # collect every operation's failure, not only the first
            failures.append(f"{method} {path}: {str(exc).splitlines()[0][:600]}")
    assert not failures, "\n".join(failures)


NASTY = ["a\x00b", 2**63, -2**31 - 1, 1e308, -0.0, [], {}, "", " ", "x" * 100_000, None, True,
         "\ud7ff\ue000\U0010ffff", "🙂", "1; DROP TABLE claim", "<script>alert(1)</script>"]


def _good_values(world):
    """A plausible value per property name, so one bad field at a time reaches the services."""
    start = "The body quotes ".__len__()
    return {"version": 1, "post_id": world.ids["post_id"], "comment_id": None, "claim_id": world.ids["claim_id"],
            "start": 0, "end": start, "exact": "The body quotes ", "statement": "a statement",
            "category": world.ids["category_name"], "rating": "true", "rationale": "r", "url": "https://example.org/",
            "title": "t", "body": "some text", "reason": "a reason", "reasoning": "because",
            "kind": "annotate_post", "assignee_id": world.uids["owner"], "blind_review": True, "enabled": True,
            "stance": "supports", "accessed": "2024-01-31", "per_claim": 1, "priority": 2, "notes": "n"}


def test_one_bad_value_at_a_time_in_every_field(app, db, tmp_path):
    """Deterministic companion of the fuzz: each property of each request body, in turn, set to
    a known troublemaker (NUL, 64-bit numbers, huge strings, wrong types) with the others sane."""
    world = build_world(db, tmp_path)
    client = Client(app.test_client())
    assert client.login(world.names["admin"]).status_code == 302
    spec = client.get("/api/v1/openapi.json").get_json()
    good = _good_values(world)
    failures, sent = [], 0
    for path, method, op in operations(spec):
        schema = _resolve(op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema"), spec)
        if not schema:
            continue
        props = {}
        for part in schema.get("allOf", [schema]):
            props.update(_resolve(part, spec).get("properties", {}))
        url = "/api/v1" + path
        for name in [p["name"] for p in map(lambda p: _resolve(p, spec), op.get("parameters", [])) if p["in"] == "path"]:
            url = url.replace("{" + name + "}", str(world.ids.get(name, 1)))
        base = {k: good[k] for k in props if k in good}
        for prop in props:
            for bad in NASTY:
                body = dict(base, **{prop: bad})
                try:
                    resp = client._send(method, url, json=body, buffered=True)
                    sent += 1
                    if resp.status_code >= 500:
                        failures.append(f"{method} {url} {prop}={str(bad)[:40]!r} -> {resp.status_code}")
                except Exception as exc:
                    failures.append(f"{method} {url} {prop}={str(bad)[:40]!r} raised {exc!r}"[:300])
    assert sent >= 100
    assert not failures, "\n".join(failures)


def test_nul_characters_are_refused_in_forms_and_query_strings(app, db, tmp_path):
    world = build_world(db, tmp_path)
    client = Client(app.test_client())
    client.login(world.names["owner"])
    resp = client.post("/account", data={"tok-name": "a\x00b"})
    assert resp.status_code == 400
    assert client.get("/api/v1/posts?page=1%00").status_code == 400
    resp = client.patch(f"/api/v1/claims/{world.ids['claim_id']}", json={"version": 1, "statement": "a\x00b"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_request"
