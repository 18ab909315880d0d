"""Small helpers shared by the API routes: query arguments and JSON bodies, validated."""
from flask import request

from ..errors import BadRequest


def int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number.", field=name)
    if value < 1 or value > 10**9:
        raise BadRequest(f"{name} must be between 1 and 1000000000.", field=name)
    return value


def json_body() -> dict:
    """The request's JSON object, or a 400 that says what is wrong with it."""
    if not request.is_json:
        raise BadRequest("Send a JSON body with Content-Type: application/json.")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    return data
