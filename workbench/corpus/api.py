"""Read routes for posts and their threads."""
from flask import current_app, jsonify

from ..api import bp
from ..api.helpers import int_arg
from . import presenters, queries


@bp.get("/posts")
def list_posts():
    page = queries.list_posts(int_arg("page", 1),
                              min(int_arg("per_page", current_app.config["POSTS_PER_PAGE"]), 200))
    return jsonify(items=[presenters.post_summary(p) for p in page.items], total=page.total,
                   page=page.page, pages=page.pages)


@bp.get("/posts/<int:post_id>")
def get_post(post_id: int):
    post = queries.get_post(post_id)
    return jsonify(presenters.post_detail(post, queries.post_comments(post_id)))


_POST_SUMMARY = {"type": "object", "required": ["id", "slug", "date", "title", "comment_count"],
                 "properties": {"id": {"type": "integer"}, "slug": {"type": "string"},
                                "date": {"type": "string", "format": "date"}, "title": {"type": "string"},
                                "comment_count": {"type": "integer"},
                                "declared_comment_count": {"type": ["integer", "null"]}}}
OPENAPI_SCHEMAS = {
    "PostSummary": _POST_SUMMARY,
    "Comment": {"type": "object", "required": ["id", "path", "parent_id", "text"],
                "properties": {"id": {"type": "integer"}, "path": {"type": "string"},
                               "parent_id": {"type": ["integer", "null"]}, "text": {"type": "string"}}},
    "Post": {"allOf": [{"$ref": "#/components/schemas/PostSummary"}, {
        "type": "object", "required": ["body", "comments"],
        "properties": {"body": {"type": "string"},
                       "comments": {"type": "array", "items": {"$ref": "#/components/schemas/Comment"}}}}]},
}
OPENAPI_PATHS = {
    "/posts": {"get": {
        "summary": "Posts, newest first", "operationId": "listPosts",
        "parameters": [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                       {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
        "responses": {"200": {"description": "A page of posts", "content": {"application/json": {"schema": {
            "type": "object", "required": ["items", "total", "page", "pages"],
            "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/PostSummary"}},
                           "total": {"type": "integer"}, "page": {"type": "integer"},
                           "pages": {"type": "integer"}}}}}},
                      "400": {"$ref": "#/components/responses/Error"}}}},
    "/posts/{post_id}": {"get": {
        "summary": "One post with its comments in thread order", "operationId": "getPost",
        "parameters": [{"$ref": "#/components/parameters/post_id"}],
        "responses": {"200": {"description": "The post", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Post"}}}},
                      "404": {"$ref": "#/components/responses/Error"}}}},
}
