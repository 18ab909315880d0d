"""The whole-text parser (workbench/corpus/parser.py) against the line-by-line state machine it
replaced, kept unchanged as the oracle in reference_parser.py: the same post (every field of the
post and of each comment, the slug), the same warnings with their line numbers, the same
CorpusFormatError line and reason, on the seeds, on generated corpora and on many mutated files.

The content hash is the one thing meant to differ (a cheaper formula): two files get the same new
hash exactly when they get the same old one."""
import random
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SEEDS
from tests.unit.corpus import reference_parser as ref
from tests.unit.corpus.test_parser import SAMPLE
from workbench.corpus import parser as new

BENCH = Path(__file__).resolve().parents[3] / "bench"
SEED_FILES = sorted(SEEDS.glob("*.txt"))


def outcome(mod, data: bytes, filename: str = "f.txt"):
    """Everything a parse gives, but the content hash; or the error it raises."""
    try:
        p = mod.parse_bytes(data, filename)
    except mod.CorpusFormatError as exc:
        return ("error", exc.filename, exc.line, exc.reason, str(exc))
    except Exception as exc:   # the oracle's own crashes must match too
        return ("exception", type(exc).__name__, str(exc))
    return ("post", p.filename, p.date, p.title, p.body, p.declared_comment_count, p.slug, list(p.warnings),
            [(c.path, c.text, c.line, c.parent_path, c.depth) for c in p.comments])


def hashes(data_a: bytes, data_b: bytes):
    """(old hashes equal, new hashes equal) for two files that both parse, else None."""
    try:
        a_old, b_old = ref.parse_bytes(data_a, "a"), ref.parse_bytes(data_b, "b")
    except Exception:
        return None
    a_new, b_new = new.parse_bytes(data_a, "a"), new.parse_bytes(data_b, "b")
    return a_old.content_hash == b_old.content_hash, a_new.content_hash == b_new.content_hash


def assert_same(data: bytes, filename: str = "f.txt"):
    expected = outcome(ref, data, filename)
    assert outcome(new, data, filename) == expected
    return expected


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_seeds_parse_the_same(path):
    data = path.read_bytes()
    assert assert_same(data, path.name)[0] == "post"
    assert_same(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"), path.name)
    assert_same(data.replace(b"\n", b"\r"), path.name)


@pytest.fixture(scope="module")
def generate_corpus():
    sys.path.insert(0, str(BENCH))
    try:
        import generate_corpus
    finally:
        sys.path.remove(str(BENCH))
    return generate_corpus


def test_generated_corpus_parses_the_same(generate_corpus, tmp_path):
    generate_corpus.generate(120, tmp_path, seed=5)
    files = sorted(tmp_path.glob("*.txt"))
    assert len(files) == 120
    comments = 0
    for f in files:
        result = assert_same(f.read_bytes(), str(f))
        assert result[0] == "post" and result[7] == []
        comments += len(result[8])
    assert comments > 2000


# --- mutations -------------------------------------------------------------------------------

MARKERS = ["    ReplyDelete", "    Replies", "      Delete", "  1. x", "  2. two", "  3.", "  3. ", "    1. r",
           "    2.", "      1. deep", "  02. zero", "  \uff13. fullwidth three", "  \u0663. arabic three",
           "  9999999999. big", "3 comments:", "1 comment:", "No comments:", "0 comments:", "2 comments: ",
           "", " ", "\u00a0", "\t", "\x0c", "    ReplyDelete\u00a0", "    ReplyDelete  ", "      Delete\t",
           "    Replies\u2003", "     ReplyDelete", "   Delete", "ReplyDelete", "Monday 1 January 2018",
           "Monday, 22 October 2018", "Tuesday 31 February 2019", "flush-left text", "  \u2022 bullet",
           "\u00a0   \u00a0", "x\x1cy", "\u2028", "  1.\u00a0nbsp", "  12. twelve", "    Replies    Replies",
           "    1.  ", "    2. \u00a0", "  2.  ", "  1. \t", "    1. ", "  2. "]


def base_texts(generate_corpus) -> list[str]:
    rng = random.Random(11)
    material = generate_corpus.seed_material()
    small = [generate_corpus.render_post(i, rng, *material, total=rng.randint(0, 9))[0] for i in range(6)]
    return [SAMPLE, *small, *(p.read_text("utf-8") for p in SEED_FILES[3:])]


@st.composite
def mutated(draw, bases):
    lines = draw(st.sampled_from(bases)).split("\n")
    for _ in range(draw(st.integers(0, 6))):
        k = draw(st.integers(0, max(len(lines) - 1, 0)))
        op = draw(st.sampled_from(["delete", "duplicate", "indent", "insert", "insert", "trail", "renumber",
                                   "swap", "head", "untitle", "blank_first"]))
        if not lines:
            lines = [""]
        if op == "delete":
            del lines[k]
        elif op == "duplicate":
            lines.insert(k, lines[k])
        elif op == "indent":
            lines[k] = " " * draw(st.integers(0, 8)) + lines[k].lstrip(" ")
        elif op == "insert":
            lines.insert(k, draw(st.sampled_from(MARKERS)))
        elif op == "trail":
            lines[k] += draw(st.sampled_from([" ", "\u00a0", "\t", "  \u00a0", "x"]))
        elif op == "blank_first":   # a comment whose first line, after its number, is blank
            lines[k] = re.sub(r"^( +\d+\.) .*", lambda m: m.group(1) + draw(st.sampled_from([" ", "  ", " \u00a0", ""])),
                              lines[k])
        elif op == "renumber":
            lines[k] = lines[k].replace("1.", draw(st.sampled_from(["2.", "1.", "01.", "7."])), 1)
        elif op == "head":      # the date line, or what stands in its place
            lines[0] = draw(st.sampled_from(MARKERS))
        elif op == "untitle":   # the title gone: the next lines come straight after the date
            del lines[1:draw(st.integers(2, 6))]
        elif op == "swap" and k + 1 < len(lines):
            lines[k], lines[k + 1] = lines[k + 1], lines[k]
    text = "\n".join(lines)
    ending = draw(st.sampled_from(["lf", "lf", "crlf", "cr", "mixed"]))
    if ending == "crlf":
        text = text.replace("\n", "\r\n")
    elif ending == "cr":
        text = text.replace("\n", "\r")
    elif ending == "mixed":
        text = text.replace("\n", "\r\n", draw(st.integers(1, 5)))
    data = text.encode("utf-8")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    tail = draw(st.sampled_from(["keep", "keep", "cut", "strip-end", "bad-utf8", "empty"]))
    if tail == "cut":
        data = data[:draw(st.integers(0, len(data)))]
    elif tail == "strip-end":
        data = data.rstrip(b"\n")
    elif tail == "bad-utf8":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xe2\x80", b"\xed\xa0\x80"])) + data[at:]
    elif tail == "empty":
        data = draw(st.sampled_from([b"", b"\n", b"\xef\xbb\xbf", b" \r\n\t\n", b"\xc2\xa0\n"]))
    return data


SETTINGS = dict(deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck),
                print_blob=False)


def test_mutated_files_parse_the_same(generate_corpus):
    """1,500 mutated files agree; and the mutations matter: they reach every error the parser
    has, warnings, comments cut short and clean posts."""
    bases = base_texts(generate_corpus)
    seen = set()

    @settings(max_examples=1500, **SETTINGS)
    @given(mutated(bases))
    def check(data):
        result = assert_same(data)
        if result[0] == "error":
            seen.add(" ".join(re.sub(r"\d+", "N", result[3]).split(" ")[:2]))
        elif result[0] == "post":
            seen.add("warning" if result[7] else "clean")
            if any("no end marker" in w for w in result[7]):
                seen.add("cut short")
    check()
    assert {"clean", "warning", "cut short", "the file", "expected a", "expected the", "expected 'Replies',",
            "no title", "no such", "not UTF-N", "comment N"} <= seen, seen


def test_hash_distinguishes_exactly_what_the_old_hash_did(generate_corpus):
    bases = base_texts(generate_corpus)
    agree = []

    @settings(max_examples=400, **SETTINGS)
    @given(mutated(bases), mutated(bases))
    def check(a, b):
        same = hashes(a, b)
        if same is not None:
            assert same[0] == same[1]
            agree.append(same[0])
        for variant in (b"\xef\xbb\xbf" + a.replace(b"\n", b"\r\n"), a + b"\n\n"):
            same = hashes(a, variant)
            if same is not None:
                assert same[0] == same[1]
                agree.append(same[0])
    check()
    assert True in agree and False in agree


@pytest.mark.parametrize("text", [
    "",
    "\n\n",
    "Monday 22 October 2018",
    "Monday 22 October 2018\n",
    "Monday 22 October 2018\n\n   ",
    "Monday 22 October 2018\n\n   \n",
    "Monday 22 October 2018\nTitle",
    "Monday 22 October 2018\nTitle\n2 comments:",
    "Monday 22 October 2018\nTitle\n2 comments:\n",
    "Monday 22 October 2018\n2 comments:\n  1. a\n",
    "Monday 22 October 2018\n\n  Indented title\n",
    "\u00a0\nMonday\u00a022 October 2018\n\nT\n\nNo comments:\n\n\n",
    "Tuesday 22 October 2018\n\nT\n\n1 comment:\n\n  1. only line",
    "Monday 22 October 2018\n\nT\n\n1 comment:\n\n  1.",
    "Monday 22 October 2018\n\nT\n\n1 comment:\n\n  1. \n\n    text\n\n    ReplyDelete",
    "Monday 22 October 2018\n\nT\n\n1 comment:\n\n  1.\n  \n    ReplyDelete\n",
    "Monday 22 October 2018\n\nT\n\n1 comment:\n\n  1.  \n\n    text\n    ReplyDelete\n    Replies\n"
    "    1.  \n      reply\n\n      Delete\n    2. \u00a0\n\n      Delete\n    3.\n      x\n      Delete",
    "Monday 22 October 2018\n\nT\n\n2 comments:\n\n  1. a\n  2. b\n    ReplyDelete\n",
    "Monday 22 October 2018\n\nT\n\n2 comments:\n\n  1. a\n  1. b\n    ReplyDelete\n",
    "Monday 22 October 2018\n\nT\n\n2 comments:\n\n  1. a\n    ReplyDelete\n  1. b\n    ReplyDelete\n",
    "Monday 22 October 2018\n\nT\n\n2 comments:\n\n  1. a\n    ReplyDelete\n    Replies\n    1. r\n"
    "        deep\n     five\n  two\n\n      Delete\n    1. again\n      Delete\n",
    "Monday 22 October 2018\n\nT\n\n2 comments:\n\n  1. a\n    ReplyDelete\n    Replies\n    1. r",
    "Monday 22 October 2018\n\nT\n\n2 comments:\n\n  1. a\n    ReplyDelete\n    1. r\n      Delete\n",
    "Monday 22 October 2018\n\nT\n\nbody\n\n2 comments:\n\n  1. a\n    ReplyDelete\nflush left\n",
    "Monday 22 October 2018\n\nT\n\n1 comment:\n\n  1. a\n    ReplyDelete\n1 comment:\n\n  1. b\n",
    "Monday 22 October 2018\n\nT\n\n1 comment:\n\n  1. a\n    ReplyDelete\n\n   \n",
    "Monday 22 October 2018\n\nT\n\n1 comment:\n\n  1. a\n    ReplyDelete\n\n   ",
    "Monday 22 October 2018\n\nT\n\n1 comment:\n\n  1. a\u2028b\n\x0c\n    x\x1c\n    ReplyDelete\n",
])
def test_edge_cases_parse_the_same(text):
    assert_same(text.encode("utf-8"))


@pytest.mark.parametrize("text", [
    "Monday 22 October 2018\n\nT\n\n" + "1" * 5000 + " comments:\n",
    "Monday 22 October 2018\n\nT\n\n1 comment:\n\n  " + "1" * 5000 + ". a\n",
])
def test_a_number_too_long_for_int_is_a_format_error_where_the_oracle_crashed(text):
    """The one deliberate difference: the oracle let int()'s ValueError escape (a traceback on
    the command line, a 500 on the Import page); the parser reports the file and line."""
    assert outcome(ref, text.encode())[:2] == ("exception", "ValueError")
    kind, _, line, reason, _ = outcome(new, text.encode())
    assert (kind, line) == ("error", 5 if " comments:" in text else 7) and "5000 digits" in reason
