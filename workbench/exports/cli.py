"""`workbench export` (every format, the same filters as the export page) and the native import."""
import os
import sys
import time

import click
from flask.cli import with_appcontext

from ..errors import WorkbenchError
from ..extensions import db
from .filters import parse_options
from .services import FORMATS, export


def _progress_printer(label: str):
    started = time.perf_counter()
    tty = sys.stderr.isatty()
    last = [0.0]

    def show(done: int, total: int | None = None, force: bool = False):
        now = time.perf_counter()
        show.done = done
        if not force and now - last[0] < 0.5 and done % 500:
            return
        last[0] = now
        of = f"/{total}" if total else ""
        msg = f"{label}: {done}{of} posts, {done / max(now - started, 1e-6):,.0f} posts/s"
        click.echo(("\r" + msg) if tty else msg, err=True, nl=not tty)
    show.done = 0
    return show


def run_native_import(paths) -> int:
    """Import native exports (*.jsonl), each in its own transaction; 1 when any failed or conflicted."""
    from .importer import NativeImportError, import_native
    code = 0
    for path in paths:
        show = _progress_printer(f"import {path}")
        try:
            report = import_native(path, lambda done, total: show(done, total))
        except NativeImportError as exc:
            db.session.rollback()
            click.echo(f"ERROR     {path}: line {exc.line}: {exc.reason}; nothing was imported", err=True)
            code = 1
            continue
        except Exception:
            db.session.rollback()
            raise
        db.session.commit()
        if sys.stderr.isatty():
            click.echo("", err=True)
        for name in report.users_created:
            click.echo(f"WARNING   {path}: created inactive user {name} (an admin can activate it)", err=True)
        for name in report.categories_created:
            click.echo(f"WARNING   {path}: created category {name}", err=True)
        for conflict in report.conflicts:
            click.echo(f"CONFLICT  {path}: {conflict}", err=True)
        click.echo(f"{'MERGED' if report.conflicts else 'IMPORTED':9} {path}: {report.summary()}")
        if report.conflicts:
            code = 1
    return code


def _write(chunks, fh) -> None:
    for chunk in chunks:
        fh.write(chunk.encode("utf-8"))


def register(app) -> None:
    @app.cli.command("export")
    @click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="jsonl", show_default=True)
    @click.option("--output", "-o", default="-", show_default=True, help="A file, or - for standard output.")
    @click.option("--date-from", help="Posts dated on or after (YYYY-MM-DD).")
    @click.option("--date-to", help="Posts dated on or before (YYYY-MM-DD).")
    @click.option("--category", help="Only claims in this category.")
    @click.option("--status", type=click.Choice(["no_verdict", "agreed", "disputed", "adjudicated"]))
    @click.option("--reviewer", help="Only claims this reviewer (username) has a current verdict on.")
    @click.option("--only-adjudicated", is_flag=True, help="Only claims with a final verdict.")
    @click.option("--omit-discussion", is_flag=True, help="Leave out the reviewers' discussion.")
    @click.option("--omit-history", is_flag=True,
                  help="Leave out the change history (claims', and posts' corrections and annotate tasks').")
    @click.option("--omit-tasks", is_flag=True, help="Leave out the review tasks (native format).")
    @click.option("--redact-emails", is_flag=True, help="Mask e-mail addresses in comment text.")
    @click.option("--base-url", help="Where the workbench is served, for links (default EXPORT_BASE_URL).")
    @with_appcontext
    def export_cmd(fmt, output, base_url, **filters):
        """Export the annotated corpus; progress goes to standard error."""
        try:
            options = parse_options(filters)
        except WorkbenchError as exc:
            raise click.BadParameter(exc.message, param_hint=exc.field)
        from ..db import write_intent
        write_intent.set(False)   # a long read: SQLite must not hold the write lock meanwhile
        show = _progress_printer("export")
        chunks = export(None, fmt, options, base=base_url, progress=show)
        try:
            if output == "-":
                _write(chunks, sys.stdout.buffer)
                sys.stdout.buffer.flush()
            else:
                # Written beside the target and renamed at the end: a failed export leaves no half file.
                partial = output + ".part"
                with open(partial, "wb") as fh:
                    _write(chunks, fh)
                os.replace(partial, output)
        finally:
            db.session.rollback()
        show(show.done, force=True)
        if sys.stderr.isatty():
            click.echo("", err=True)
        click.echo(f"Exported {fmt} to {'standard output' if output == '-' else output}.", err=True)
