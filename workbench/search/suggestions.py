"""Check-worthy sentences: split a text unit into sentences, fire cues, score, explain.

Pure functions over text (no database) so the gold-set evaluation and the API agree exactly.
A sentence is suggested when its score reaches THRESHOLD; its reasons name the cues that fired.
"""
import re
from dataclasses import dataclass, field

from .figures import Figure, parse_figures

THRESHOLD = 0.25

# (reason, weight, pattern). A figure with a unit is the strongest signal; dates, comparisons
# and named bodies add to it but rarely make a sentence check-worthy on their own.
CUES: list[tuple[str, float, re.Pattern]] = [
    ("comparison", 0.2, re.compile(
        r"\b(?:up|down) from\b|\b(?:doubled|tripled|trebled|halved|quadrupled)\b|\b(?:fell|rose|risen|fallen|"
        r"dropped|increased|decreased|grew|cut|reduced|went up|went down)\s+(?:by|from|to)\b|\b(?:more|fewer|"
        r"less|higher|lower) than\b|\bcompared (?:with|to)\b|\b(?:highest|lowest|record|biggest|largest)\b",
        re.I)),
    ("attribution", 0.15, re.compile(
        r"\bCRCs?\b|\bNPS\b|\bMoJ\b|\bMinistry of Justice\b|\bHM ?I(?:nspectorate)? of Probation\b|\bHMIP\b|"
        r"\bHMPPS\b|\bNOMS\b|\bChief Inspector\b|\bInspectorate\b|\b(?:Justice|Public Accounts) Committee\b|"
        r"\bNational Audit Office\b|\bNAO\b|\bgovernment\b|\bministers?\b|\bLabour\b|\bConservatives?\b|\bUN\b|\bNational Probation Service\b|\bCommunity Rehabilitation "
        r"Compan(?:y|ies)\b|\bHome Office\b|\bTreasury\b|\bInstitute for Government\b")),
    ("source", 0.1, re.compile(
        r"\baccording to\b|\b(?:figures|statistics|data|report|survey|research|audit)\s+(?:show|shows|showed|"
        r"found|finds|reveal|revealed|suggests?)\b|\bpublished\b|\bofficial figures\b", re.I)),
    ("date", 0.1, re.compile(
        r"\b(?:(?:January|February|March|April|May|June|July|August|September|October|November|December)\s+)?"
        r"(?:19|20)\d{2}\b")),
    ("event", 0.15, re.compile(
        r"\b(?:announced|appointed|awarded|pledged|promised|outsourced|released|published|introduced|"
        r"scrapped|collapsed|went into administration|stepping down|signed|launched|abolished|"
        r"nationalised|renationalised)\b|\bwill (?:now )?be (?:rated|run|managed|split|stepping)\b", re.I)),
    ("rate", 0.25, re.compile(
        r"\b(?:rate|rates|ratio|proportion|per head|per capita|per (?:1,?000|100,?000|100))\b|"
        r"\b(?:half|a third|a quarter|two thirds|three quarters|majority|minority) of\b", re.I)),
]
FIGURE_REASONS = {"GBP": ("money", 0.45), "percent": ("percentage", 0.45)}
COUNT_REASON, COUNT_WEIGHT = "count", 0.35

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'’”)\]]*\s+(?=[\"'‘“(\[]?[A-Z0-9£])|\n+")


@dataclass
class Suggestion:
    start: int
    end: int
    exact: str
    score: float
    reasons: list[str]
    figure: Figure | None = None
    figures: list[Figure] = field(default_factory=list)

    def json(self, comment_id) -> dict:
        return {"comment_id": comment_id, "start": self.start, "end": self.end, "exact": self.exact,
                "score": self.score, "reasons": self.reasons,
                "figure": self.figure.json() if self.figure else None}


def sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence, code points, trimmed of surrounding white space."""
    out, pos = [], 0
    for m in list(_SENTENCE_END.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        if m is not None and text[m.start() - 1:m.start()] in "\"'’”)]":
            end = m.start()
        chunk = text[pos:end]
        lead = len(chunk) - len(chunk.lstrip())
        s, e = pos + lead, pos + len(chunk.rstrip())
        if e > s:
            out.append((s, e))
        pos = m.end() if m else len(text)
    return out


def score_sentence(sentence: str) -> tuple[float, list[str], list[Figure]]:
    """The score in [0, 1], the cues that fired (strongest first) and the figures found."""
    figures = [f for f in parse_figures(sentence)]
    weights: dict[str, float] = {}
    for f in figures:
        reason, weight = FIGURE_REASONS.get(f.unit, (COUNT_REASON, COUNT_WEIGHT))
        weights[reason] = max(weights.get(reason, 0), weight)
    for reason, weight, pattern in CUES:
        if pattern.search(sentence):
            weights[reason] = weight
    if len(sentence) < 25:  # a fragment ("£300m?") is rarely a claim worth a verdict
        weights = {k: v / 2 for k, v in weights.items()}
    score = round(min(1.0, sum(weights.values())), 2)
    reasons = sorted(weights, key=lambda r: (-weights[r], r))
    return score, reasons, figures


def suggest(text: str, threshold: float = THRESHOLD) -> list[Suggestion]:
    """Check-worthy sentences of one text unit, in reading order."""
    out = []
    for s, e in sentences(text):
        exact = text[s:e]
        score, reasons, figures = score_sentence(exact)
        if score >= threshold:
            shifted = [Figure(f.value, f.unit, f.period, f.start + s, f.end + s, f.raw) for f in figures]
            out.append(Suggestion(s, e, exact, score, reasons, shifted[0] if shifted else None, shifted))
    return out
