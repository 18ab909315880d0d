"""The fact-check workbench: create_app builds the Flask app; nothing else runs at import time."""
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(ROOT / "instance"), instance_relative_config=True,
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    if test_config and test_config.get("INSTANCE_PATH"):
        app.instance_path = test_config["INSTANCE_PATH"]

    from .config import load_config
    load_config(app, test_config)

    from . import models  # noqa: F401  every table registered before the first query
    from .errors import register_error_handlers
    from .extensions import csrf, db, login_manager, migrate
    from .security import init_security

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    init_security(app)
    register_error_handlers(app)

    from .views import register_blueprints
    register_blueprints(app)

    from .cli import register_cli
    register_cli(app)
    return app
