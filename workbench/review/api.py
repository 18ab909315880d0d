"""JSON routes for team review: flags, discussion, adjudication and reopening, the dispute
queue, one claim's review, agreement figures and the blind-review setting."""
from flask import jsonify, request
from flask_login import current_user

from ..annotations.presenters import load_claims
from ..annotations.services import get_claim
from ..api import bp
from ..api.helpers import json_body
from ..db import isoformat
from ..extensions import db
from ..errors import Conflict, ValidationError
from ..permissions import Permission, require
from . import agreement, services


def _review(claim_id: int, status: int = 200):
    db.session.expire_all()
    resp = jsonify(services.claim_review(claim_id, current_user))
    resp.status_code = status
    return resp


@bp.get("/disputes")
def disputes():
    require(current_user, Permission.ADJUDICATE)
    category = request.args.get("category_id", type=int)
    return jsonify(items=load_claims(services.disputed_claim_ids(category), current_user))


@bp.get("/claims/<int:claim_id>/review")
def claim_review(claim_id: int):
    get_claim(claim_id, current_user)
    return _review(claim_id)


@bp.post("/claims/<int:claim_id>/flags")
def flag_claim(claim_id: int):
    flag = services.flag_claim(current_user, get_claim(claim_id, current_user), json_body().get("reason"))
    db.session.commit()
    return jsonify(id=flag.id, claim_id=claim_id, reason=flag.reason, created_at=isoformat(flag.created_at)), 201


@bp.post("/flags/<int:flag_id>/clear")
def clear_flag(flag_id: int):
    data = json_body() if request.content_length else {}
    flag = services.clear_flag(current_user, services.get_flag_row(flag_id), data.get("reason"))
    db.session.commit()
    return jsonify(id=flag.id, claim_id=flag.claim_id, cleared_at=isoformat(flag.cleared_at))


@bp.get("/claims/<int:claim_id>/discussion")
def get_discussion(claim_id: int):
    get_claim(claim_id, current_user)
    review = services.claim_review(claim_id, current_user)
    return jsonify(items=review["discussion"], hidden=review["discussion_hidden"])


@bp.post("/claims/<int:claim_id>/discussion")
def post_discussion(claim_id: int):
    claim = get_claim(claim_id, current_user)
    if load_claims([claim_id], current_user)[0]["verdicts_hidden"]:
        raise Conflict("Give your own verdict first: under blind review the discussion opens after it.")
    post = services.post_discussion(current_user, claim, json_body().get("body"))
    db.session.commit()
    return jsonify(services.discussion_json(post)), 201


@bp.post("/claims/<int:claim_id>/adjudication")
def adjudicate(claim_id: int):
    data = json_body()
    services.adjudicate(current_user, get_claim(claim_id, current_user), data.get("rating"), data.get("reasoning"))
    db.session.commit()
    return _review(claim_id, 201)


@bp.post("/claims/<int:claim_id>/reopen")
def reopen(claim_id: int):
    services.reopen(current_user, get_claim(claim_id, current_user), json_body().get("reason"))
    db.session.commit()
    return _review(claim_id)


@bp.get("/agreement")
def agreement_figures():
    require(current_user, Permission.SEE_ALL_VERDICTS)
    report = agreement.agreement_report()
    for p in report["pairs"]:
        a, b = p.pop("a_user"), p.pop("b_user")
        p["a"], p["b"] = {"id": a.id, "username": a.username}, {"id": b.id, "username": b.username}
    return jsonify(report)


@bp.get("/settings/blind_review")
def get_blind_review():
    return jsonify(blind_review=services.blind_review_on())


@bp.put("/settings/blind_review")
def put_blind_review():
    value = json_body().get("blind_review")
    if not isinstance(value, bool):
        raise ValidationError("blind_review is true or false.", field="blind_review")
    services.set_blind_review(current_user, value)
    db.session.commit()
    return jsonify(blind_review=services.blind_review_on())


_ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
_json = lambda schema: {"content": {"application/json": {"schema": schema}}}  # noqa: E731
_err = {"$ref": "#/components/responses/Error"}
_errors = {code: _err for code in ("400", "403", "404", "409", "422")}
_cid = [{"$ref": "#/components/parameters/claim_id"}]
_review_ok = {"description": "The claim's review", **_json(_ref("ClaimReview"))}
_RATINGS = ["true", "mostly_true", "mixed", "mostly_false", "false", "unverifiable"]
_reason = {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string", "minLength": 1}}}

OPENAPI_SCHEMAS = {
    "ClaimReview": {"type": "object", "required": ["claim", "discussion", "adjudications"], "properties": {
        "claim": _ref("Claim"), "contexts": {"type": "array"}, "differences": {"type": ["object", "null"]},
        "discussion": {"type": "array", "items": _ref("DiscussionPost")}, "discussion_hidden": {"type": "boolean"},
        "adjudications": {"type": "array", "description": "all of them, reopened ones included"},
        "adjudication_block": {"type": ["string", "null"],
                               "description": "why the caller may not adjudicate this claim"},
        "can": {"type": "object"}}},
    "DiscussionPost": {"type": "object", "properties": {
        "id": {"type": "integer"}, "claim_id": {"type": "integer"}, "author": {"type": "object"},
        "body": {"type": "string"}, "created_at": {"type": "string"}}},
    "Agreement": {"type": "object", "properties": {
        "overall": {"type": "object", "properties": {"alpha": {"type": ["number", "null"]},
                                                     "claims": {"type": "integer"}}},
        "per_category": {"type": "array"}, "pairs": {"type": "array"}, "scale": {"type": "object"}}},
}
OPENAPI_PATHS = {
    "/disputes": {"get": {
        "summary": "Disputed claims (verdicts disagree or an open flag), oldest first (leads)",
        "operationId": "disputes",
        "parameters": [{"name": "category_id", "in": "query", "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "Claims", **_json({"type": "object", "properties": {
            "items": {"type": "array", "items": _ref("Claim")}}})}, "403": _err}}},
    "/claims/{claim_id}/review": {"get": {
        "summary": "One claim's review: span in context, verdicts, differences, discussion, adjudications",
        "operationId": "claimReview", "parameters": _cid, "responses": {"200": _review_ok, "404": _err}}},
    "/claims/{claim_id}/flags": {"post": {
        "summary": "Flag the claim as disputed, with a reason", "operationId": "flagClaim", "parameters": _cid,
        "requestBody": {"required": True, **_json(_reason)},
        "responses": {"201": {"description": "The flag"}, **_errors}}},
    "/flags/{flag_id}/clear": {"post": {
        "summary": "Clear a flag (leads)", "operationId": "clearFlag",
        "parameters": [{"name": "flag_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "requestBody": {"required": False, **_json({"type": "object", "properties": {"reason": {"type": "string"}}})},
        "responses": {"200": {"description": "The flag"}, **_errors}}},
    "/claims/{claim_id}/discussion": {
        "get": {"summary": "The claim's discussion, oldest first (hidden under blind review until your verdict)",
                "operationId": "getDiscussion", "parameters": _cid,
                "responses": {"200": {"description": "Posts"}, "404": _err}},
        "post": {"summary": "Post in the claim's discussion (posts are kept)", "operationId": "postDiscussion",
                 "parameters": _cid,
                 "requestBody": {"required": True, **_json({"type": "object", "required": ["body"], "properties": {
                     "body": {"type": "string", "minLength": 1}}})},
                 "responses": {"201": {"description": "The post", **_json(_ref("DiscussionPost"))}, **_errors}}},
    "/claims/{claim_id}/adjudication": {"post": {
        "summary": "Record the final verdict (leads; not on a claim you gave a verdict on while another lead can)",
        "operationId": "adjudicate", "parameters": _cid,
        "requestBody": {"required": True, **_json({"type": "object", "required": ["rating", "reasoning"],
                                                   "properties": {"rating": {"enum": _RATINGS},
                                                                  "reasoning": {"type": "string", "minLength": 1}}})},
        "responses": {"201": _review_ok, **_errors}}},
    "/claims/{claim_id}/reopen": {"post": {
        "summary": "Reopen the adjudication with a reason (the record is kept)", "operationId": "reopenAdjudication",
        "parameters": _cid, "requestBody": {"required": True, **_json(_reason)},
        "responses": {"200": _review_ok, **_errors}}},
    "/agreement": {"get": {
        "summary": "Krippendorff's alpha (ordinal; unverifiable excluded), overall and per category; "
                   "pairwise agreement", "operationId": "agreement",
        "responses": {"200": {"description": "Figures", **_json(_ref("Agreement"))}, "403": _err}}},
    "/settings/blind_review": {
        "get": {"summary": "Whether blind review is on", "operationId": "getBlindReview",
                "responses": {"200": {"description": "The setting"}}},
        "put": {"summary": "Turn blind review on or off (admins)", "operationId": "putBlindReview",
                "requestBody": {"required": True, **_json({"type": "object", "required": ["blind_review"],
                                                           "properties": {"blind_review": {"type": "boolean"}}})},
                "responses": {"200": {"description": "The setting"}, **_errors}}},
}
