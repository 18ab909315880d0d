"""Registers every blueprint (one per domain, plus the JSON API) and the template helpers."""
from flask_login import current_user

from .permissions import Permission, can


def register_blueprints(app) -> None:
    from .api.views import bp as api_bp
    from .auth.views import bp as auth_bp
    from .corpus.views import bp as corpus_bp

    for bp in (auth_bp, corpus_bp, api_bp):
        app.register_blueprint(bp)

    app.jinja_env.globals.update(
        Permission=Permission,
        can=lambda permission, obj=None: can(current_user, permission, obj))
