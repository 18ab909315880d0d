"""Figures in running text, parsed and normalised so "£300m", "£300 million" and "300 million
pounds" compare equal: value (a number), unit ("GBP", "percent", "out of N", "count") and period."""
import re
from dataclasses import dataclass

_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9,
          "billion": 1e9}
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE_RE = r"(?:thousand|million|billion|bn|mn|m|k|b)\b"
_WORD_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
             "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "a hundred": 100}

MONEY_PREFIX = re.compile(rf"£\s?(?P<num>{_NUM})(?:\s?(?P<scale>{_SCALE_RE}))?", re.I)
MONEY_SUFFIX = re.compile(rf"\b(?P<num>{_NUM})\s?(?P<scale>{_SCALE_RE})?\s?(?:pounds|sterling|GBP)\b", re.I)
PERCENT = re.compile(rf"\b(?P<num>{_NUM})\s?(?:%|per\s?cent\b|percent\b|pc\b)", re.I)
OUT_OF = re.compile(rf"\b(?P<num>{_NUM}|{'|'.join(_WORD_NUM)})\s+(?:out\s+)?of\s+(?:the\s+|all\s+)?"
                    rf"(?P<den>{_NUM}|{'|'.join(_WORD_NUM)})\b(?!\s?(?:%|per\s?cent))", re.I)
ONE_IN = re.compile(rf"\b(?P<num>{_NUM}|{'|'.join(_WORD_NUM)})\s+in\s+(?:every\s+)?"
                    rf"(?P<den>{_NUM}|{'|'.join(_WORD_NUM)})\b", re.I)
COUNT = re.compile(rf"\b(?P<num>{_NUM})(?:\s?(?P<scale>thousand|million|billion)\b)?\s+"
                   r"(?:[a-z-]+\s+)?(?P<noun>[a-z]+s|staff|people|probation|work)\b", re.I)
PERIOD = re.compile(r"\b(?:(?:a|per|each|every)\s+(?P<unit>year|annum|month|week|day)|(?P<ly>annually|monthly|"
                    r"weekly|daily)|over\s+(?P<n>\w+)\s+(?P<units>years|months)|(?:in|by|since|for|during)\s+"
                    r"(?P<year>(?:19|20)\d{2}(?:[/-]\d{2,4})?))\b", re.I)
YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


@dataclass(frozen=True)
class Figure:
    value: float
    unit: str
    period: str | None
    start: int
    end: int
    raw: str

    def key(self) -> tuple:
        return self.unit, round(self.value, 6)

    def json(self) -> dict:
        value = int(self.value) if float(self.value).is_integer() else self.value
        return {"value": value, "unit": self.unit, "period": self.period}

    def label(self) -> str:
        return f"{self.raw} ({describe(self)})"


def describe(fig: Figure) -> str:
    if fig.unit == "GBP":
        v = fig.value
        text = f"£{v / 1e9:g} billion" if v >= 1e9 else f"£{v / 1e6:g} million" if v >= 1e6 else f"£{v:,.0f}"
    elif fig.unit == "percent":
        text = f"{fig.value:g}%"
    else:
        text = f"{fig.value:g} {fig.unit}"
    return text + (f" per {fig.period}" if fig.period in ("year", "month", "week", "day") else
                   f", {fig.period}" if fig.period else "")


def _number(text: str) -> float:
    text = text.lower().strip()
    if text in _WORD_NUM:
        return float(_WORD_NUM[text])
    return float(text.replace(",", ""))


def _period(text: str, end: int) -> str | None:
    """A period stated right after the figure ("a year", "over five years", "in 2014")."""
    m = PERIOD.search(text, end, min(len(text), end + 40))
    if m is None or text[end:m.start()].count(" ") > 3:
        return None
    if m.group("unit"):
        return "year" if m.group("unit").lower() == "annum" else m.group("unit").lower()
    if m.group("ly"):
        return {"annually": "year", "monthly": "month", "weekly": "week", "daily": "day"}[m.group("ly").lower()]
    if m.group("n"):
        return f"{m.group('n').lower()} {m.group('units').lower()}"
    return m.group("year")


def parse_figures(text: str) -> list[Figure]:
    """Every figure in text, left to right; overlapping readings keep the first, longest one."""
    found: list[Figure] = []

    def add(m, value, unit):
        if any(f.start < m.end() and m.start() < f.end for f in found):
            return
        found.append(Figure(value, unit, _period(text, m.end()), m.start(), m.end(), m.group(0)))

    for m in MONEY_PREFIX.finditer(text):
        add(m, _number(m.group("num")) * _SCALE.get((m.group("scale") or "").lower(), 1), "GBP")
    for m in MONEY_SUFFIX.finditer(text):
        add(m, _number(m.group("num")) * _SCALE.get((m.group("scale") or "").lower(), 1), "GBP")
    for m in PERCENT.finditer(text):
        add(m, _number(m.group("num")), "percent")
    for m in OUT_OF.finditer(text):
        num, den = _number(m.group("num")), _number(m.group("den"))
        if YEAR.fullmatch(m.group("den")) or num > den:
            continue
        add(m, num, f"out of {den:g}")
    for m in ONE_IN.finditer(text):
        num, den = _number(m.group("num")), _number(m.group("den"))
        if YEAR.fullmatch(m.group("den")) or num >= den:
            continue
        add(m, num, f"in {den:g}")
    for m in COUNT.finditer(text):
        if YEAR.fullmatch(m.group("num")):
            continue
        value = _number(m.group("num")) * _SCALE.get((m.group("scale") or "").lower(), 1)
        add(m, value, m.group("noun").lower())
    found.sort(key=lambda f: f.start)
    return found


def first_figure(text: str) -> Figure | None:
    figs = parse_figures(text)
    return figs[0] if figs else None
