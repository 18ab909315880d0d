"""Output shapes for posts and comments, shared by the API, the pages' JSON and the exports."""


def post_summary(post) -> dict:
    return {"id": post.id, "slug": post.slug, "date": post.date.isoformat(), "title": post.title,
            "comment_count": post.comment_count,
            "declared_comment_count": post.declared_comment_count}


def comment_json(c) -> dict:
    return {"id": c.id, "path": c.path, "parent_id": c.parent_id, "text": c.text}


def post_detail(post, comments) -> dict:
    return {**post_summary(post), "body": post.body, "comments": [comment_json(c) for c in comments]}
