"""`workbench eval-suggestions`: precision and recall of the suggestions on the gold set."""
import sys

import click


def register(app) -> None:
    @app.cli.command("eval-suggestions")
    @click.option("--gold", type=click.Path(exists=True, dir_okay=False), default=None,
                  help="The gold set (default: tests/data/checkworthy_gold.jsonl).")
    @click.option("--show-errors", is_flag=True, help="List false positives and false negatives.")
    def eval_suggestions(gold, show_errors):
        """Reproduce the precision and recall reported in docs/suggestions.md."""
        from .evaluate import GOLD, evaluate, report
        sys.exit(report(evaluate(gold or GOLD), show_errors, click.echo))
