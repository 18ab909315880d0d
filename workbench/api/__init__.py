"""The JSON API under /api/v1: thin routes over the same services as the pages.

Each domain puts its routes in `<domain>/api.py` on this one blueprint, and describes them
in that module's OPENAPI_PATHS (and OPENAPI_SCHEMAS), merged into /api/v1/openapi.json.
"""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
