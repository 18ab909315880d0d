"""JSON routes for claims: create, read, edit, retract and restore, sources, verdicts."""
import json

from flask import current_app, jsonify, request, url_for
from flask.json.provider import DefaultJSONProvider
from flask_login import current_user
from sqlalchemy import select

from ..api import bp
from ..api.helpers import json_body
from ..audit import AuditEvent
from ..corpus.models import Post
from ..db import isoformat
from ..errors import NotFound
from ..extensions import db
from . import presenters, schemas, services
from .models import Source


def _claim_response(claim, status: int = 200, commit: bool = True):
    """The claim as GET /claims/<id> gives this user, built from the ORM object the route holds
    (the claim row is not read again) before the commit, which would expire it; then the commit.
    Nothing is read back after writing."""
    text = presenters.claim_text(claim, current_user)
    if commit:
        db.session.commit()
    resp = _json_text(text)
    resp.status_code = status
    if status == 201:
        resp.headers["Location"] = url_for("api.get_claim", claim_id=claim.id)
    return resp


def _json_text(text: str):
    """A response with JSON the presenters wrote as text: the bytes jsonify sends for the same
    value (compact, keys sorted, non-ASCII escaped). Should the app encode JSON any other way
    (debug mode indents it), the value goes through jsonify instead."""
    app = current_app
    provider = app.json
    if (isinstance(provider, DefaultJSONProvider) and type(provider).dumps is DefaultJSONProvider.dumps
            and type(provider).response is DefaultJSONProvider.response
            and provider.ensure_ascii and provider.sort_keys
            and (provider.compact or (provider.compact is None and not app.debug))):
        return app.response_class(f"{text}\n", mimetype=provider.mimetype)
    return jsonify(json.loads(text))


@bp.post("/claims")
def create_claim():
    """Answered from the values just written (the same JSON as GET /claims/<id> gives this
    user), built before the commit so nothing has to be read back after it."""
    user = current_user._get_current_object()
    written = services.write_claim(user, json_body())
    payload = presenters.new_claim_json(written, user)
    db.session.commit()
    resp = jsonify(payload)
    resp.status_code = 201
    resp.headers["Location"] = url_for("api.get_claim", claim_id=written.id)
    return resp


@bp.get("/claims/<int:claim_id>")
def get_claim(claim_id: int):
    return _claim_response(services.get_claim(claim_id, current_user), commit=False)


@bp.patch("/claims/<int:claim_id>")
def update_claim(claim_id: int):
    claim = services.get_claim(claim_id, current_user)
    services.update_claim(current_user, claim, json_body())
    return _claim_response(claim)


@bp.post("/claims/<int:claim_id>/retract")
def retract_claim(claim_id: int):
    claim = services.get_claim(claim_id)
    services.retract_claim(current_user, claim, json_body() if request.content_length else {})
    return _claim_response(claim)


@bp.post("/claims/<int:claim_id>/restore")
def restore_claim(claim_id: int):
    claim = services.get_claim(claim_id)
    services.restore_claim(current_user, claim, json_body() if request.content_length else {})
    return _claim_response(claim)


@bp.post("/claims/<int:claim_id>/spans")
def attach_span(claim_id: int):
    claim = services.get_claim(claim_id, current_user)
    services.attach_span(current_user, claim, json_body())
    return _claim_response(claim, 201)


@bp.post("/claims/<int:claim_id>/sources")
def add_source(claim_id: int):
    claim = services.get_claim(claim_id, current_user)
    source = services.add_source(current_user, claim, schemas.parse_source(json_body(), "source"))
    db.session.commit()
    return jsonify(presenters.source_json(source)), 201


@bp.post("/sources/<int:source_id>/<any(retract, restore):action>")
def retract_source(source_id: int, action: str):
    source = db.session.get(Source, source_id)
    if source is None:
        raise NotFound(f"No source {source_id}.")
    services.set_source_retracted(current_user, source, action == "retract")
    db.session.commit()
    return jsonify(presenters.source_json(source))


@bp.put("/claims/<int:claim_id>/verdict")
def put_verdict(claim_id: int):
    claim = services.get_claim(claim_id, current_user)
    services.set_verdict(current_user, claim, schemas.parse_verdict(json_body(), field=""))
    return _claim_response(claim)


@bp.get("/posts/<int:post_id>/claims")
def post_claims(post_id: int):
    items = presenters.post_claims_text(post_id, current_user,
                                        include_retracted=request.args.get("include_retracted") == "1")
    if not items and db.session.scalar(select(Post.id).where(Post.id == post_id)) is None:
        raise NotFound(f"No post {post_id}.")   # as get_post says it; a post with claims exists
    return _json_text(f'{{"items":[{",".join(items)}]}}')


@bp.get("/claims/<int:claim_id>/history")
def claim_history(claim_id: int):
    claim = services.get_claim(claim_id, current_user)
    hidden = json.loads(presenters.claim_text(claim, current_user))["verdicts_hidden"]
    return jsonify(items=visible_history(claim_id, hidden))


@bp.get("/categories")
def list_categories():
    return jsonify(items=[{"id": c.id, "name": c.name} for c in services.categories()])


def history(claim_id: int) -> list[AuditEvent]:
    from sqlalchemy.orm import joinedload
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.claim_id == claim_id)
                                   .options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id)))


BLIND_ENTITIES = ("verdict", "flag", "discussion", "discussion_post")


def visible_history(claim_id: int, verdicts_hidden: bool) -> list[dict]:
    """The claim's audit events; under blind review the events about other reviewers' views
    keep who and when but not what they said, as the verdicts themselves are withheld."""
    events = [history_json(e) for e in history(claim_id)]
    if verdicts_hidden:
        for e in events:
            if e["entity"] in BLIND_ENTITIES:
                e["before"] = e["after"] = e["reason"] = None
    return events


def history_json(e: AuditEvent) -> dict:
    return {"id": e.id, "at": isoformat(e.at), "actor": presenters.user_json(e.actor),
            "entity": e.entity_type, "entity_id": e.entity_id, "action": e.action,
            "before": e.before_data, "after": e.after_data, "reason": e.reason}


_ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
_json = lambda schema: {"content": {"application/json": {"schema": schema}}}  # noqa: E731
_err = {"$ref": "#/components/responses/Error"}
_claim_ok = {"description": "The claim", **_json(_ref("Claim"))}
_errors = {code: _err for code in ("400", "403", "404", "409", "422")}

OPENAPI_SCHEMAS = {
    "SpanIn": {"type": "object", "required": ["post_id", "start", "end", "exact"], "properties": {
        "post_id": {"type": "integer"}, "comment_id": {"type": ["integer", "null"]},
        "start": {"type": "integer", "minimum": 0, "description": "Unicode code points"},
        "end": {"type": "integer", "minimum": 1}, "exact": {"type": "string", "minLength": 1},
        "prefix": {"type": "string"}, "suffix": {"type": "string"}}},
    "SourceIn": {"type": "object", "required": ["url"], "properties": {
        "url": {"type": "string", "format": "uri", "pattern": "^https?://"}, "title": {"type": "string"},
        "publisher": {"type": "string"}, "quote": {"type": "string"}, "locator": {"type": "string"},
        "stance": {"enum": ["supports", "refutes", "context"]},
        "accessed": {"type": "string", "format": "date"}}},
    "VerdictIn": {"type": "object", "required": ["rating"], "properties": {
        "rating": {"enum": ["true", "mostly_true", "mixed", "mostly_false", "false", "unverifiable"]},
        "rationale": {"type": "string"}}},
    "ClaimIn": {"allOf": [_ref("SpanIn"), {"type": "object", "required": ["statement", "category"], "properties": {
        "statement": {"type": "string", "minLength": 1}, "category": {"type": ["string", "integer"]},
        "sources": {"type": "array", "items": _ref("SourceIn")}, "verdict": _ref("VerdictIn")}}]},
    "ClaimPatch": {"type": "object", "required": ["version"], "properties": {
        "version": {"type": "integer"}, "statement": {"type": "string"},
        "category": {"type": ["string", "integer"]}, "reason": {"type": "string"}}},
    "Claim": {"type": "object", "required": ["id", "version", "post_id", "statement", "category", "status",
                                             "spans", "sources", "verdicts"],
              "properties": {"id": {"type": "integer"}, "version": {"type": "integer"},
                             "post_id": {"type": "integer"}, "statement": {"type": "string"},
                             "category": {"type": "string"},
                             "status": {"enum": ["no_verdict", "agreed", "disputed", "adjudicated", "blind"]},
                             "spans": {"type": "array"}, "sources": {"type": "array"},
                             "verdicts": {"type": "array"}, "verdicts_hidden": {"type": "boolean"},
                             "retracted": {"type": "boolean"}}},
}
OPENAPI_PATHS = {
    "/claims": {"post": {"summary": "Create a claim on a span", "operationId": "createClaim",
                         "requestBody": {"required": True, **_json(_ref("ClaimIn"))},
                         "responses": {"201": _claim_ok, **_errors}}},
    "/claims/{claim_id}": {
        "get": {"summary": "One claim", "operationId": "getClaim",
                "parameters": [{"$ref": "#/components/parameters/claim_id"}],
                "responses": {"200": _claim_ok, "404": _err}},
        "patch": {"summary": "Edit a claim (optimistic concurrency: send the version you edited)",
                  "operationId": "updateClaim", "parameters": [{"$ref": "#/components/parameters/claim_id"}],
                  "requestBody": {"required": True, **_json(_ref("ClaimPatch"))},
                  "responses": {"200": _claim_ok, **_errors}}},
    "/claims/{claim_id}/retract": {"post": {
        "summary": "Retract (hide, never delete) a claim", "operationId": "retractClaim",
        "parameters": [{"$ref": "#/components/parameters/claim_id"}],
        "requestBody": {"required": False, **_json({"type": "object", "properties": {
            "reason": {"type": "string"}, "version": {"type": "integer"}}})},
        "responses": {"200": _claim_ok, **_errors}}},
    "/claims/{claim_id}/restore": {"post": {
        "summary": "Restore a retracted claim", "operationId": "restoreClaim",
        "parameters": [{"$ref": "#/components/parameters/claim_id"}],
        "requestBody": {"required": False, **_json({"type": "object", "properties": {"reason": {"type": "string"}}})},
        "responses": {"200": _claim_ok, **_errors}}},
    "/claims/{claim_id}/spans": {"post": {
        "summary": "Attach another appearance of the claim", "operationId": "attachSpan",
        "parameters": [{"$ref": "#/components/parameters/claim_id"}],
        "requestBody": {"required": True, **_json(_ref("SpanIn"))},
        "responses": {"201": _claim_ok, **_errors}}},
    "/claims/{claim_id}/sources": {"post": {
        "summary": "Add a source", "operationId": "addSource",
        "parameters": [{"$ref": "#/components/parameters/claim_id"}],
        "requestBody": {"required": True, **_json(_ref("SourceIn"))},
        "responses": {"201": {"description": "The source"}, **_errors}}},
    "/claims/{claim_id}/verdict": {"put": {
        "summary": "Set the caller's own verdict (the previous one is kept as history)",
        "operationId": "putVerdict", "parameters": [{"$ref": "#/components/parameters/claim_id"}],
        "requestBody": {"required": True, **_json(_ref("VerdictIn"))},
        "responses": {"200": _claim_ok, **_errors}}},
    "/claims/{claim_id}/history": {"get": {
        "summary": "Every change to the claim", "operationId": "claimHistory",
        "parameters": [{"$ref": "#/components/parameters/claim_id"}],
        "responses": {"200": {"description": "Audit events, oldest first"}, "404": _err}}},
    "/posts/{post_id}/claims": {"get": {
        "summary": "The post's claims in reading order", "operationId": "postClaims",
        "parameters": [{"$ref": "#/components/parameters/post_id"},
                       {"name": "include_retracted", "in": "query", "schema": {"enum": ["0", "1"]}}],
        "responses": {"200": {"description": "Claims", **_json({"type": "object", "properties": {
            "items": {"type": "array", "items": _ref("Claim")}}})}, "404": _err}}},
    "/categories": {"get": {"summary": "Claim categories", "operationId": "listCategories",
                            "responses": {"200": {"description": "Categories"}}}},
}
