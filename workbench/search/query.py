"""User query syntax, parsed once and rendered safely for each backend (no input reaches the
engine unescaped, so no query string can make FTS5 or tsquery fail)."""
import re
from dataclasses import dataclass

_PHRASE = re.compile(r'"([^"]*)"?')
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 32


@dataclass(frozen=True)
class Query:
    terms: tuple[tuple[str, ...], ...]   # each a word (1-tuple) or a phrase (n words)
    any_term: bool = False               # OR instead of AND (used for "similar wording")

    @property
    def empty(self) -> bool:
        return not self.terms

    def fts5(self) -> str:
        parts = ['"' + " ".join(t) + '"' for t in self.terms]
        return (" OR " if self.any_term else " AND ").join(parts)

    def tsquery_parts(self) -> list[str]:
        """Each term as plain words for phraseto_tsquery (one call per word or phrase)."""
        return [" ".join(t) for t in self.terms]


def parse(q: str | None, any_term: bool = False) -> Query:
    """Quoted text is a phrase; everything else is words; punctuation and operators are ignored."""
    q = (q or "")[:500]
    terms: list[tuple[str, ...]] = []
    pos = 0
    for m in _PHRASE.finditer(q):
        terms += [(w.lower(),) for w in _WORD.findall(q[pos:m.start()])]
        words = tuple(w.lower() for w in _WORD.findall(m.group(1)))
        if words:
            terms.append(words)
        pos = m.end()
    terms += [(w.lower(),) for w in _WORD.findall(q[pos:])]
    seen, unique = set(), []
    for t in terms:
        if t not in seen:
            seen.add(t)
            unique.append(t)
    return Query(tuple(unique[:MAX_TERMS]), any_term)
