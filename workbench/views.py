"""Registers every domain: its pages (`<domain>/views.py`, a blueprint `bp`, optional
NAV_ITEMS for the top bar) and its API routes (`<domain>/api.py`, on the one API blueprint)."""
import importlib
import importlib.util

from flask_login import current_user

from .permissions import Permission, can

DOMAINS = ("corpus", "annotations", "review", "tasks", "exports", "imports", "search", "auth", "ops")


def domain_module(name: str):
    """workbench.<name> if that module exists (a domain may not have pages, an API or a CLI)."""
    full = f"{__package__}.{name}"
    try:
        found = importlib.util.find_spec(full)
    except ModuleNotFoundError:  # the domain's package itself is absent
        found = None
    return importlib.import_module(full) if found else None


def register_blueprints(app) -> None:
    from .api import bp as api_bp
    from .api.openapi import build_spec

    nav, api_modules = [], []
    for domain in DOMAINS:
        views = domain_module(f"{domain}.views")
        if views is not None:
            app.register_blueprint(views.bp)
            nav.extend(getattr(views, "NAV_ITEMS", []))
        api = domain_module(f"{domain}.api")
        if api is not None:
            api_modules.append(api)
    app.register_blueprint(api_bp)
    app.extensions["workbench_openapi"] = build_spec(api_modules)

    app.jinja_env.globals.update(
        Permission=Permission, NAV_ITEMS=nav,
        can=lambda permission, obj=None: can(current_user, permission, obj))
