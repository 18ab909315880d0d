"""GET /api/v1/exports: the same streamed export as the page, for scripts."""
from flask import request

from ..api import bp
from .filters import parse_options
from .services import FORMATS


@bp.get("/exports")
def api_export():
    from .views import download_response
    return download_response(request.args.get("format", "jsonl"), parse_options(request.args))


_PARAMS = [
    {"name": "format", "in": "query", "schema": {"type": "string", "enum": list(FORMATS), "default": "jsonl"}},
    {"name": "date_from", "in": "query", "schema": {"type": "string", "format": "date"},
     "description": "posts dated on or after"},
    {"name": "date_to", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "category", "in": "query", "schema": {"type": "string"}},
    {"name": "status", "in": "query",
     "schema": {"type": "string", "enum": ["no_verdict", "agreed", "disputed", "adjudicated"]}},
    {"name": "reviewer", "in": "query", "schema": {"type": "string"},
     "description": "username: claims with this reviewer's current verdict"},
] + [{"name": flag, "in": "query", "schema": {"type": "boolean"}}
     for flag in ("only_adjudicated", "omit_discussion", "omit_history", "omit_tasks", "redact_emails")]

OPENAPI_PATHS = {
    "/exports": {"get": {
        "summary": "Export the annotated corpus (streamed)", "operationId": "exportCorpus",
        "description": "jsonl: native JSON Lines (schema workbench/schemas/native-export.schema.json), "
                       "one post per line with its claims and review tasks (omit_tasks leaves the tasks out; "
                       "a reviewer who may not assign gets only their own) and the history: the claims', "
                       "span re-anchorings included, and each post's own (corrections of its text, title and "
                       "comments, its annotate tasks' events); omit_history leaves all history out. Re-importable with "
                       "`workbench import FILE.jsonl`; w3c: JSON Lines "
                       "of W3C Web Annotation JSON-LD (an AnnotationCollection, then its AnnotationPages); "
                       "claimreview: a JSON array of schema.org ClaimReview; csv: one row per claim. "
                       "Blind review applies: a reviewer gets others' verdicts only on claims they have judged.",
        "parameters": _PARAMS,
        "responses": {"200": {"description": "The export, as an attachment",
                              "content": {"application/x-ndjson": {}, "application/ld+json": {}, "text/csv": {}}},
                      "403": {"$ref": "#/components/responses/Error"},
                      "422": {"$ref": "#/components/responses/Error"}}}},
}
