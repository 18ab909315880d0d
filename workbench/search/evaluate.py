"""Precision and recall of the suggestions on the gold set of check-worthy sentences.

Run `workbench eval-suggestions` (or `python -m workbench.search.evaluate`). Reads the seed dumps
directly (no database), so the figures in docs/suggestions.md reproduce anywhere.
"""
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..corpus.parser import parse_bytes
from .suggestions import suggest

ROOT = Path(__file__).resolve().parent.parent.parent
GOLD = ROOT / "tests" / "data" / "checkworthy_gold.jsonl"
SEEDS = ROOT / "seeds"


@dataclass
class Evaluation:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    errors: list[tuple[str, dict]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _units(seed: str) -> dict:
    post = parse_bytes((SEEDS / seed).read_bytes(), seed)
    return {"body": post.body} | {c.path: c.text for c in post.comments}


def evaluate(gold_path=GOLD) -> Evaluation:
    """A gold sentence counts as suggested when a suggestion covers most of it."""
    ev, units, suggested = Evaluation(), {}, {}
    for line in Path(gold_path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        if item["seed"] not in units:
            units[item["seed"]] = _units(item["seed"])
        text = units[item["seed"]][item["unit"]]
        if text[item["start"]:item["end"]] != item["text"]:
            raise ValueError(f"gold item does not match the seed text: {item['seed']} {item['unit']} {item['start']}")
        key = (item["seed"], item["unit"])
        if key not in suggested:
            suggested[key] = [(s.start, s.end) for s in suggest(text)]
        length = item["end"] - item["start"]
        hit = any(min(e, item["end"]) - max(s, item["start"]) > length / 2 for s, e in suggested[key])
        if hit and item["checkworthy"]:
            ev.tp += 1
        elif hit:
            ev.fp += 1
            ev.errors.append(("false positive", item))
        elif item["checkworthy"]:
            ev.fn += 1
            ev.errors.append(("false negative", item))
        else:
            ev.tn += 1
    return ev


def report(ev: Evaluation, show_errors: bool = False, echo=print) -> int:
    n = ev.tp + ev.fp + ev.fn + ev.tn
    echo(f"sentences {n}  check-worthy {ev.tp + ev.fn}  suggested {ev.tp + ev.fp}")
    echo(f"tp {ev.tp}  fp {ev.fp}  fn {ev.fn}  tn {ev.tn}")
    echo(f"precision {ev.precision:.3f}  recall {ev.recall:.3f}  f1 {ev.f1:.3f}")
    if show_errors:
        for kind, item in ev.errors:
            echo(f"{kind}: {item['seed']} {item['unit']} [{item['start']}, {item['end']}) {item['text'][:100]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(report(evaluate(sys.argv[1] if len(sys.argv) > 1 else GOLD), "--show-errors" in sys.argv))
