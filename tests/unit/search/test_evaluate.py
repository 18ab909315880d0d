"""The command reproduces the precision and recall written in docs/suggestions.md."""
import re

from workbench.search.evaluate import GOLD, ROOT, evaluate


def test_command_reproduces_documented_figures(app):
    result = app.test_cli_runner().invoke(args=["eval-suggestions"])
    assert result.exit_code == 0, result.output
    got = re.search(r"precision (\d\.\d+)\s+recall (\d\.\d+)", result.output).groups()
    doc = (ROOT / "docs" / "suggestions.md").read_text(encoding="utf-8")
    documented = re.search(r"precision \*\*(\d\.\d+)\*\*.*recall \*\*(\d\.\d+)\*\*", doc, re.I).groups()
    assert got == documented


def test_gold_set_is_anchored_to_the_seeds():
    ev = evaluate(GOLD)  # raises if any gold sentence no longer matches its seed text
    assert ev.tp + ev.fp + ev.fn + ev.tn >= 100 and ev.tp + ev.fn >= 20
