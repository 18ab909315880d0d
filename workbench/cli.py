"""The `workbench` command line: a Flask CLI group, so `flask --app workbench …` works too."""
import functools
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from .extensions import db

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
DEMO_USERS = [("admin", "admin", "Ada Admin", "admin-demo-pass"),
              ("lead", "lead", "Lee Lead", "lead-demo-pass"),
              ("rita", "reviewer", "Rita Reviewer", "rita-demo-pass"),
              ("ravi", "reviewer", "Ravi Reviewer", "ravi-demo-pass")]


def _app_factory():
    from . import create_app
    return create_app()


@click.group(cls=FlaskGroup, create_app=_app_factory, add_version_option=False,
             help="The fact-check workbench. DATABASE_URL overrides the SQLite default in instance/.")
def main():
    pass


def run_import(paths, verbose: bool = False, accept_changes: bool = False) -> int:
    """Import files and folders; returns the exit code (1 when any file was not imported)."""
    from .corpus.services import import_paths
    started = time.perf_counter()
    tty = sys.stderr.isatty()

    def progress(done, total, comments):
        rate = comments / max(time.perf_counter() - started, 1e-6)
        msg = f"{done}/{total} files, {comments} comments, {rate:,.0f} comments/s"
        click.echo(("\r" + msg) if tty else msg, err=True, nl=not tty)

    try:
        report = import_paths(paths, progress, accept_changes=accept_changes)
        from .imports.history import record_command_import
        record_command_import(report)   # the Import page lists it with the uploads
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if tty:
        click.echo("", err=True)
    for r in report.results:
        problem = r.status in ("error", "changed")
        if problem or verbose or len(report.results) <= 20:
            click.echo(f"{r.status.upper():9} {r.filename}: {r.message}", err=problem)
        for w in r.warnings:
            click.echo(f"WARNING   {r.filename}: {w}", err=True)
    click.echo(f"{report.summary()} in {time.perf_counter() - started:.2f} s")
    return 1 if report.failed else 0


CLI_BUSY_MESSAGE = ("the database is locked by another process (an import, a restore, or the server "
                    "writing); nothing was changed. Run the command again when it has finished.")


def _busy_is_one_line(command: click.Command) -> None:
    """A command that finds the database locked for longer than the busy timeout (SQLite's
    "database is locked") stops with one line and exit code 1, not a traceback."""
    from sqlalchemy.exc import DBAPIError

    from .errors import database_busy
    callback = command.callback

    @functools.wraps(callback)
    def run(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except DBAPIError as exc:
            if not database_busy(exc):
                raise
            raise click.ClickException(CLI_BUSY_MESSAGE) from None
    command.callback = run


def register_cli(app) -> None:
    """The core commands here; each domain may add its own in `<domain>/cli.py` (register(app))."""
    from .views import DOMAINS, domain_module
    for domain in DOMAINS:
        module = domain_module(f"{domain}.cli")
        if module is not None:
            module.register(app)

    @app.cli.command("import")
    @click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
    @click.option("--verbose", "-v", is_flag=True, help="List every file, not only problems.")
    @click.option("--accept-changes", is_flag=True,
                  help="Correct stored posts whose text differs in the file, moving their claims to the "
                       "same words in the new text; a post where a claim's words cannot be found for sure "
                       "is left as it is and reported.")
    @with_appcontext
    def import_cmd(paths, verbose, accept_changes):
        """Import dump files, or every *.txt in the given folders; *.jsonl files are native exports."""
        from .exports.cli import run_native_import
        native = [p for p in paths if p.lower().endswith(".jsonl")]
        dumps = [p for p in paths if p not in native]
        code = run_native_import(native) if native else 0
        sys.exit(max(code, run_import(dumps, verbose, accept_changes)) if dumps else code)

    @app.cli.command("create-user")
    @click.argument("name")
    @click.option("--role", type=click.Choice(["admin", "lead", "reviewer"]), default="reviewer")
    @click.option("--display-name", default="")
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
    @with_appcontext
    def create_user_cmd(name, role, display_name, password_stdin):
        """Create a user (the first admin, for instance) without the web UI."""
        from .auth.services import create_user
        from .errors import WorkbenchError
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            user = create_user(name, password, role, display_name)
            db.session.commit()
        except WorkbenchError as exc:
            raise click.ClickException(exc.message)
        click.echo(f"Created {user.role.value} {user.username}.")

    @app.cli.command("demo")
    @click.option("--port", default=5000, show_default=True)
    @click.option("--no-serve", is_flag=True, help="Prepare the database but do not start the server.")
    @click.option("--no-examples", is_flag=True,
                  help="No example claims, verdicts and tasks (they are written only into a database without claims).")
    @with_appcontext
    def demo_cmd(port, no_serve, no_examples):
        """Create or upgrade the database, import the seeds, create demo users and example review
        work (once), and serve."""
        from flask_migrate import upgrade
        from sqlalchemy import select
        from .auth.models import User
        from .auth.services import create_user
        upgrade()
        run_import([SEEDS])
        for username, role, display, password in DEMO_USERS:
            if not db.session.scalar(select(User.id).where(User.username == username)):
                create_user(username, password, role, display)
        db.session.commit()
        if not no_examples:
            from .demo import seed_examples
            written = seed_examples()
            db.session.commit()
            if written:
                click.echo(f"Wrote {written} example claims by rita and ravi (two of them disputed) and two tasks "
                           "from lead; every example verdict says it is not a real check.")
        url = f"http://127.0.0.1:{port}/"
        click.echo("\nThe workbench is ready at " + url)
        click.echo("Log in as one of (username / password):")
        for username, role, _display, password in DEMO_USERS:
            click.echo(f"  {username:6} / {password:16} ({role})")
        if not no_serve:
            # Flask ignores app.run() inside its own CLI, so serve with Werkzeug directly.
            from werkzeug.serving import run_simple
            run_simple("127.0.0.1", port, current_app._get_current_object(), threaded=True)

    for command in app.cli.commands.values():   # the core commands and the domains' (export, backup, …)
        if not isinstance(command, click.Group) and command.callback is not None:
            _busy_is_one_line(command)
