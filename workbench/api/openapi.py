"""The OpenAPI description, merged from each domain's OPENAPI_PATHS and OPENAPI_SCHEMAS."""
from flask import jsonify

from . import bp

_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                   "field": {"type": ["string", "null"]}}}}}


def build_spec(modules) -> dict:
    paths, schemas = {}, {"Error": _ERROR}
    for module in modules:
        for path, ops in getattr(module, "OPENAPI_PATHS", {}).items():
            paths.setdefault(path, {}).update(ops)
        schemas.update(getattr(module, "OPENAPI_SCHEMAS", {}))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Fact-check workbench API", "version": "1",
                 "description": "Log in through the browser (send X-CSRFToken on state changes) "
                                "or send Authorization: Bearer <token>."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"session": []}, {"bearer": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "parameters": {
                "post_id": {"name": "post_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                "claim_id": {"name": "claim_id", "in": "path", "required": True, "schema": {"type": "integer"}},
            },
            "responses": {"Error": {"description": "An error", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}}},
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "session"},
                                "bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/openapi.json")
def openapi():
    from flask import current_app
    return jsonify(current_app.extensions["workbench_openapi"])
