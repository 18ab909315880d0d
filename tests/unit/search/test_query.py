"""Query syntax is parsed, never passed raw: phrases, words, nothing else."""
from workbench.search.query import parse


def test_phrases_and_words():
    q = parse('reoffend "Working Links" AND')
    assert q.terms == (("reoffend",), ("working", "links"), ("and",))
    assert q.fts5() == '"reoffend" AND "working links" AND "and"'


def test_hostile_input_has_no_operators():
    q = parse('NEAR( "unterminated col:x * ^ -- \' ; DROP TABLE post;')
    assert '(' not in q.fts5() and ':' not in q.fts5() and ';' not in q.fts5()


def test_empty():
    assert parse("  ***  ").empty and parse(None).empty
