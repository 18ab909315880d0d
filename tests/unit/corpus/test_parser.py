"""The dump parser over the five seeds and over each of the format's traps."""
from datetime import date

import pytest

from tests.conftest import SEEDS
from workbench.corpus.parser import CorpusFormatError, parse_bytes


def parse_seed(prefix):
    path = next(SEEDS.glob(prefix + "_*.txt"))
    return parse_bytes(path.read_bytes(), path.name)


@pytest.mark.parametrize("prefix,declared,tops,replies,day,title", [
    ("000", 23, 9, 14, date(2019, 3, 6), "Institute Offers TR Advice"),
    ("001", 11, 5, 6, date(2020, 12, 4), "End of an Era"),
    ("002", 31, 16, 15, date(2013, 10, 31), "The Morning After"),
    ("003", 6, 4, 2, date(2018, 10, 22), "Third Sector Lobbying Hard"),
    ("004", 7, 5, 2, date(2019, 12, 3), "TR2 Will Also Be a Disaster"),
])
def test_seed_counts_and_headers(prefix, declared, tops, replies, day, title):
    post = parse_seed(prefix)
    assert post.date == day and post.title == title
    assert post.declared_comment_count == declared == len(post.comments)
    assert sum(c.parent_path is None for c in post.comments) == tops
    assert sum(c.parent_path is not None for c in post.comments) == replies
    assert post.warnings == []


def test_thread_shape_of_000():
    post = parse_seed("000")
    assert [c.path for c in post.comments] == [
        "1", "1.1", "2", "2.1", "3", "3.1", "3.2", "4", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6",
        "4.7", "4.8", "5", "6", "7", "8", "9", "9.1", "9.2"]
    for c in post.comments:
        assert c.parent_path == (c.path.split(".")[0] if "." in c.path else None)


def test_numbered_list_without_replies_marker_is_comment_text():
    """Comment 7 of 002 holds '    1. A CRC can access …' at the reply indent: it is text."""
    post = parse_seed("002")
    c7 = next(c for c in post.comments if c.path == "7")
    assert c7.text.startswith("Two things about yesterdays debate disturb me greatly.\n1. A CRC can access")
    assert "\n2. If the NPS (30%?)" in c7.text
    assert [c.path for c in post.comments if c.parent_path == "7"] == ["7.1", "7.2", "7.3", "7.4"]


def test_numbered_list_inside_a_reply_is_reply_text():
    """Reply 1.2 of 001 holds a numbered list at indent 6; it does not start new replies."""
    post = parse_seed("001")
    r12 = next(c for c in post.comments if c.path == "1.2")
    assert r12.text.startswith("Reply to 08:00\n\nThe web of lies & deceptions is manifold.\n\n1. TR was")
    assert "\n\n6. Whatever you say to me" in r12.text
    assert [c.path for c in post.comments if c.parent_path == "1"] == ["1.1", "1.2", "1.3"]


def test_exact_text_is_kept():
    post = parse_seed("000")
    c11 = next(c for c in post.comments if c.path == "2.1")
    assert c11.text == ("www.civilserviceawards.com/2015-winners-0\n\n"
                        "yes they did. im guessing the have collected to money and moved on")
    # Structural indentation and marker lines go; the trailing blank lines before 'Delete' too.
    r31 = next(c for c in post.comments if c.path == "3.1")
    assert r31.text == "Oh dear - no latest news on their website since Wednesday December 20, 2017.\nhttps://dtvcrc.co.uk/news"
    assert all("ReplyDelete" not in c.text and not c.text.endswith("Delete") for c in post.comments)


def test_non_ascii_characters_survive():
    raw = "".join(p.read_text("utf-8") for p in SEEDS.glob("*.txt"))
    parsed = "".join(parse_seed(p).body + "".join(c.text for c in parse_seed(p).comments)
                     for p in ("000", "001", "002", "003", "004"))
    for ch in "£–’“”…\u00a0":
        if ch in raw:
            assert ch in parsed, repr(ch)


SAMPLE = (
    "Monday, 22 October 2018\n\nA title\n\nBody line one.\n\n  • bullet\n\n2 comments:\n\n"
    "  1. First comment\n    second line\n\n    ReplyDelete\n    Replies\n"
    "    1. A reply 👍 here\n      more\n\n      Delete\n")


def test_bom_crlf_and_comma_date_parse_the_same():
    plain = parse_bytes(SAMPLE.encode(), "a.txt")
    crlf = parse_bytes(("\ufeff" + SAMPLE.replace("\n", "\r\n")).encode(), "b.txt")
    assert plain.date == date(2018, 10, 22)
    assert plain.body == "Body line one.\n\n  • bullet"
    assert [(c.path, c.text) for c in plain.comments] == [
        ("1", "First comment\nsecond line"), ("1.1", "A reply 👍 here\nmore")]
    assert crlf.content_hash == plain.content_hash
    assert [(c.path, c.text) for c in crlf.comments] == [(c.path, c.text) for c in plain.comments]


def test_declared_count_mismatch_is_a_warning_and_nothing_is_invented():
    post = parse_bytes(SAMPLE.replace("2 comments:", "5 comments:").encode(), "cut.txt")
    assert len(post.comments) == 2
    assert any("declares 5 comments, found 2" in w for w in post.warnings)


def test_missing_comment_section_and_no_comments():
    post = parse_bytes(b"Monday 22 October 2018\n\nTitle\n\nJust a body.\n", "x.txt")
    assert post.comments == [] and post.declared_comment_count is None and post.body == "Just a body."
    post = parse_bytes(b"Monday 22 October 2018\n\nTitle\n\nBody\n\nNo comments:\n", "x.txt")
    assert post.comments == [] and post.declared_comment_count == 0


def test_cut_short_comment_is_kept_with_a_warning():
    text = SAMPLE.replace("\n\n      Delete\n", "\n")
    post = parse_bytes(text.encode(), "cut.txt")
    assert [c.path for c in post.comments] == ["1", "1.1"]
    assert any("no end marker" in w for w in post.warnings)


@pytest.mark.parametrize("data,line,reason", [
    (b"", 1, "empty"),
    (b"\n  \n", 1, "empty"),
    (b"Title without date\n\nBody\n", 1, "expected a date line"),
    (b"Monday 22 October 2018\n\n", 2, "no title"),
    (b"Monday 22 October 2018\n\n3 comments:\n\n  1. x\n    ReplyDelete\n", 3, "no title"),
    (b"Monday 22 October 2018\n\nTitle\n\nBody\n\xff\xfe oops\n", 6, "not UTF-8"),
    (b"Monday 31 February 2018\n\nTitle\n", 1, "no such date"),
    (b"Monday 22 October 2018\n\nT\n\n1 comment:\n\n  stray text\n", 7, "expected a comment"),
])
def test_malformed_files_report_line_and_reason(data, line, reason):
    with pytest.raises(CorpusFormatError) as err:
        parse_bytes(data, "bad.txt")
    assert err.value.filename == "bad.txt"
    assert err.value.line == line
    assert reason in err.value.reason


def test_a_number_too_long_for_python_is_a_format_error_with_its_line():
    from workbench.corpus.parser import CorpusFormatError, parse_text
    huge = "9" * 5000
    for text, line in ((SAMPLE.replace("  1. ", f"  {huge}. ", 1), SAMPLE.split("\n").index(
            next(x for x in SAMPLE.split("\n") if x.startswith("  1. "))) + 1),
                       (SAMPLE.replace("2 comments:", f"{huge} comments:"), SAMPLE.split("\n").index("2 comments:") + 1)):
        try:
            parse_text(text, "huge.txt")
        except CorpusFormatError as exc:
            assert exc.line == line and "5000 digits" in exc.reason
        else:
            raise AssertionError("a 5,000-digit number was accepted")
