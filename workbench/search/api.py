"""JSON routes: search, suggestions (list, accept, dismiss), matches, a claim's appearances."""
from flask import jsonify, request
from flask_login import current_user

from ..annotations import presenters
from ..api import bp
from ..api.helpers import int_arg, json_body
from ..extensions import db
from ..permissions import Permission, require
from ..settings import get_flag, set_flag
from .. import audit
from . import matching, services, suggest_service


@bp.get("/search")
def search():
    result = services.search(current_user, request.args.get("q", ""), services.parse_filters(request.args),
                             int_arg("page", 1), int_arg("per_page", services.PER_PAGE))
    return jsonify(result.json())


@bp.get("/posts/<int:post_id>/suggestions")
def post_suggestions(post_id: int):
    return jsonify(suggest_service.post_suggestions(current_user, post_id))


@bp.post("/posts/<int:post_id>/suggestions/accept")
def accept_suggestion(post_id: int):
    claim, figure = suggest_service.accept(current_user, post_id, json_body())
    db.session.commit()
    db.session.expire_all()
    body = presenters.load_claims([claim.id], current_user)[0]
    body["figure"] = figure.json() if figure else None
    return jsonify(body), 201


@bp.post("/posts/<int:post_id>/suggestions/dismiss")
def dismiss_suggestion(post_id: int):
    row = suggest_service.dismiss(current_user, post_id, json_body())
    db.session.commit()
    return jsonify({"id": row.id, "post_id": row.post_id, "comment_id": row.comment_id, "start": row.start,
                    "end": row.end}), 201


@bp.route("/settings/show_suggestions", methods=["GET", "PUT"])
def show_suggestions_setting():
    if request.method == "PUT":
        require(current_user, Permission.MANAGE_SETTINGS)
        value = json_body().get("value")
        if not isinstance(value, bool):
            from ..errors import ValidationError
            raise ValidationError("value must be true or false.", field="value")
        before = get_flag("show_suggestions")
        set_flag("show_suggestions", value)
        audit.record(current_user, "setting", 0, "update", before={"show_suggestions": before},
                     after={"show_suggestions": value})
        db.session.commit()
    return jsonify({"key": "show_suggestions", "value": get_flag("show_suggestions")})


@bp.post("/matches")
def matches():
    return jsonify(matching.find_matches(current_user, json_body()))


@bp.get("/claims/<int:claim_id>/appearances")
def claim_appearances(claim_id: int):
    items = matching.appearances(current_user, claim_id)
    return jsonify(items=items, first_appearance=items[0] if items else None)


def _q(name, schema, description):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


_ERR = {"$ref": "#/components/responses/Error"}
_SPAN_IN = {"type": "object", "required": ["start", "end", "exact"], "properties": {
    "comment_id": {"type": ["integer", "null"]}, "start": {"type": "integer"}, "end": {"type": "integer"},
    "exact": {"type": "string"}, "statement": {"type": "string"}, "category": {"type": "string"},
    "reason": {"type": "string"}}}

OPENAPI_SCHEMAS = {
    "SearchHit": {"type": "object", "required": ["kind", "post_id", "comment_id", "claim_id", "snippet", "url"],
                  "properties": {
                      "kind": {"enum": ["post", "comment", "claim", "source", "discussion"]},
                      "id": {"type": "integer"}, "post_id": {"type": "integer"},
                      "comment_id": {"type": ["integer", "null"]}, "claim_id": {"type": ["integer", "null"]},
                      "comment_path": {"type": ["string", "null"]}, "post_title": {"type": "string"},
                      "date": {"type": "string", "format": "date"}, "score": {"type": "number"},
                      "snippet": {"type": "string", "description": "HTML-escaped text; matches wrapped in <mark>"},
                      "url": {"type": "string"}}},
    "SearchResult": {"type": "object", "required": ["items", "total"], "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}},
        "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
        "pages": {"type": "integer"}}},
    "Figure": {"type": ["object", "null"], "properties": {
        "value": {"type": "number"}, "unit": {"type": "string", "description": "GBP, percent, 'out of N', 'in N', or a counted noun"},
        "period": {"type": ["string", "null"]}}},
    "Suggestion": {"type": "object", "required": ["comment_id", "start", "end", "exact", "score", "reasons", "figure"],
                   "properties": {
                       "comment_id": {"type": ["integer", "null"], "description": "null for the post body"},
                       "start": {"type": "integer", "description": "code points"}, "end": {"type": "integer"},
                       "exact": {"type": "string"}, "score": {"type": "number", "minimum": 0, "maximum": 1},
                       "reasons": {"type": "array", "items": {"enum": [
                           "money", "percentage", "count", "rate", "comparison", "attribution", "source", "date"]}},
                       "figure": {"$ref": "#/components/schemas/Figure"}}},
    "Appearance": {"type": "object", "properties": {
        "span_id": {"type": "integer"}, "post_id": {"type": "integer"}, "comment_id": {"type": ["integer", "null"]},
        "start": {"type": "integer"}, "end": {"type": "integer"}, "exact": {"type": "string"},
        "date": {"type": "string", "format": "date"}, "url": {"type": "string"}}},
}

OPENAPI_PATHS = {
    "/search": {"get": {
        "summary": "Full-text search over posts, comments, claims, sources and discussion",
        "description": "Words are matched by stem (\"reoffend\" finds \"reoffending\"); text in double quotes is a "
                       "phrase; all words and phrases must match. Other punctuation is ignored, never an error.",
        "parameters": [_q("q", {"type": "string"}, "the query"),
                       _q("date_from", {"type": "string", "format": "date"}, "post date on or after"),
                       _q("date_to", {"type": "string", "format": "date"}, "post date on or before"),
                       _q("category", {"type": "string"}, "claim category name (or part of it)"),
                       _q("status", {"enum": ["no_verdict", "agreed", "disputed", "adjudicated"]}, "claim status"),
                       _q("has_claims", {"enum": ["1", "0"]}, "only places with (or without) a claim"),
                       _q("reviewer", {"type": "string"}, "username: claims they made or judged"),
                       _q("kind", {"type": "string"}, "comma-separated kinds"),
                       _q("page", {"type": "integer"}, "1-based"), _q("per_page", {"type": "integer"}, "at most 100")],
        "responses": {"200": {"description": "ranked hits", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/SearchResult"}}}}, "422": _ERR}}},
    "/posts/{post_id}/suggestions": {"get": {
        "summary": "Check-worthy sentences of a post's body and comments (not dismissed, not yet claimed)",
        "parameters": [{"$ref": "#/components/parameters/post_id"}],
        "responses": {"200": {"description": "suggestions; hidden is true when an admin turned them off",
                              "content": {"application/json": {"schema": {"type": "object", "properties": {
                                  "items": {"type": "array", "items": {"$ref": "#/components/schemas/Suggestion"}},
                                  "hidden": {"type": "boolean"}}}}}}, "404": _ERR}}},
    "/posts/{post_id}/suggestions/accept": {"post": {
        "summary": "Make a suggestion a claim on that span, with its figure parsed",
        "parameters": [{"$ref": "#/components/parameters/post_id"}],
        "requestBody": {"content": {"application/json": {"schema": _SPAN_IN}}},
        "responses": {"201": {"description": "the claim, plus figure"}, "409": _ERR, "422": _ERR}}},
    "/posts/{post_id}/suggestions/dismiss": {"post": {
        "summary": "Dismiss a suggestion (remembered; not shown again)",
        "parameters": [{"$ref": "#/components/parameters/post_id"}],
        "requestBody": {"content": {"application/json": {"schema": _SPAN_IN}}},
        "responses": {"201": {"description": "dismissed"}, "409": _ERR, "422": _ERR}}},
    "/settings/show_suggestions": {
        "get": {"summary": "Whether suggestions are shown", "responses": {"200": {"description": "the setting"}}},
        "put": {"summary": "Show or hide suggestions (admin; hide for blind first passes)",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                    "value": {"type": "boolean"}}}}}},
                "responses": {"200": {"description": "the setting"}, "403": _ERR}}},
    "/matches": {"post": {
        "summary": "Places and existing claims stating the same figure or similar words",
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
            "post_id": {"type": "integer"}, "comment_id": {"type": ["integer", "null"]}, "start": {"type": "integer"},
            "end": {"type": "integer"}, "exact": {"type": "string"}, "statement": {"type": "string"}}}}}},
        "responses": {"200": {"description": "{figures, places, claims}"}, "422": _ERR}}},
    "/claims/{claim_id}/appearances": {"get": {
        "summary": "Every appearance of a claim with its date, the first appearance first",
        "parameters": [{"$ref": "#/components/parameters/claim_id"}],
        "responses": {"200": {"description": "appearances", "content": {"application/json": {"schema": {
            "type": "object", "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Appearance"}},
                "first_appearance": {"oneOf": [{"$ref": "#/components/schemas/Appearance"}, {"type": "null"}]}}}}}},
            "404": _ERR}}},
}
