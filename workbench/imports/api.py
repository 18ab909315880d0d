"""POST /api/v1/imports: the Import page for scripts (multipart), the same service and report."""
from flask import jsonify, request
from flask_login import current_user

from ..api import bp
from ..errors import BadRequest, ValidationError
from ..extensions import db
from ..permissions import Permission, require
from .services import import_upload
from .views import accept_changes_from_request, uploads_from_request


@bp.post("/imports")
def create_import():
    require(current_user, Permission.IMPORT)
    if request.mimetype != "multipart/form-data":
        raise BadRequest("Send the files as multipart/form-data in the field \"files\".", field="files")
    outcome = import_upload(current_user, uploads_from_request(),   # a refusal: the error handler rolls back
                            accept_changes_from_request())
    if not outcome.ok:
        db.session.rollback()
        raise ValidationError(outcome.summary, field="files", report=outcome.as_json())
    db.session.commit()
    return jsonify(outcome.as_json())


_row = {"type": "object", "properties": {
    "name": {"type": "string", "description": "as uploaded; an archive's entries as archive.zip/folder/file.txt"},
    "status": {"enum": ["imported", "extended", "corrected", "unchanged", "changed", "error", "merged",
                        "not_imported"]},
    "message": {"type": "string"}, "comments": {"type": "integer", "description": "comments added"},
    "line": {"type": ["integer", "null"], "description": "where the error is"},
    "warnings": {"type": "array", "items": {"type": "string"}}}}
_err = {"$ref": "#/components/responses/Error"}

OPENAPI_SCHEMAS = {"ImportReport": {"type": "object", "properties": {
    "kind": {"enum": ["dumps", "native"]}, "imported": {"type": "boolean"}, "summary": {"type": "string"},
    "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
    "files": {"type": "array", "items": _row},
    "conflicts": {"type": "array", "items": {"type": "string"}},
    "notes": {"type": "array", "items": {"type": "string"}}}}}

OPENAPI_PATHS = {
    "/imports": {"post": {
        "summary": "Import dump files, a .zip of dump files, or one native export (admins)",
        "operationId": "importUpload",
        "description": "The same import as `workbench import`, all or nothing: if any file fails (a malformed "
                       "dump, a post whose stored text changed, a malformed line of a native export) nothing "
                       "is imported and the 422 error carries the report (error.report) with each file's "
                       "status, line and reason. A native merge's conflicts are listed; the stored rows are "
                       "kept. Too large a request or archive is a 413, a file of another type a 415.",
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["files"], "properties": {"files": {
                "type": "array", "items": {"type": "string", "format": "binary"},
                "description": "*.txt dump files, *.zip archives of them, or one *.jsonl native export "
                               "(the field may also be called file)"},
            "accept_changes": {"type": "string", "enum": ["true", "false"], "default": "false",
                               "description": "dump files may correct stored posts whose text changed, "
                                             "if every claim on a changed text finds its words "
                                             "(`workbench import --accept-changes`)"}}}}}},
        "responses": {"200": {"description": "Imported", "content": {"application/json": {
                          "schema": {"$ref": "#/components/schemas/ImportReport"}}}},
                      "400": _err, "403": _err, "413": _err, "415": _err, "422": _err}}},
}
