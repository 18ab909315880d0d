"""`workbench backup FILE` and `workbench restore FILE`."""
import click
from flask.cli import with_appcontext

from ..extensions import db
from . import services


def register(app) -> None:
    @app.cli.command("backup")
    @click.argument("file", type=click.Path(dir_okay=False))
    @with_appcontext
    def backup_cmd(file):
        """Write a consistent copy of the database to FILE, safe while the server runs."""
        try:
            path = services.backup(db.engine, file)
        except services.OpsError as exc:
            raise click.ClickException(str(exc))
        click.echo(f"Backed up the {db.engine.dialect.name} database to {path} ({path.stat().st_size} bytes).")

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @with_appcontext
    def restore_cmd(file):
        """Restore FILE (made by `workbench backup`) into an EMPTY database."""
        try:
            services.restore(db.engine, file)
        except services.OpsError as exc:
            raise click.ClickException(str(exc))
        click.echo(f"Restored {file} into the {db.engine.dialect.name} database. "
                   "Run `workbench db upgrade` if the backup is from an older version.")
