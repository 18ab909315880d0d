"""Parse one blog dump file (docs in ../shared/docs/corpus-format.md) into a post and its thread.

Pure functions, no database: the importer and the benchmarks share them. A file that
cannot be read as a post raises CorpusFormatError with the line and the reason; oddities
that lose nothing (a declared count that differs, a comment cut short) are warnings.
"""
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
DATE_RE = re.compile(r"^(%s),?\s+(\d{1,2})\s+(%s)\s+(\d{4})\s*$" % ("|".join(WEEKDAYS), "|".join(MONTHS)))
HEADER_RE = re.compile(r"^(?:(\d+) comments?|No comments):\s*$")
TOP_RE = re.compile(r"^  (\d+)\.(?: (.*))?$")
REPLY_RE = re.compile(r"^    (\d+)\.(?: (.*))?$")
TOP_END, REPLIES, REPLY_END = "    ReplyDelete", "    Replies", "      Delete"
TOP_INDENT, REPLY_INDENT = 4, 6


class CorpusFormatError(Exception):
    def __init__(self, filename: str, line: int, reason: str):
        super().__init__(f"{filename}:{line}: {reason}")
        self.filename, self.line, self.reason = filename, line, reason


@dataclass
class ParsedComment:
    path: str
    text: str
    line: int                    # where it starts in the file, for messages
    parent_path: str | None = None

    @property
    def depth(self) -> int:
        return self.path.count(".")


@dataclass
class ParsedPost:
    filename: str
    date: date
    title: str
    body: str
    declared_comment_count: int | None
    comments: list[ParsedComment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return make_slug(self.date, self.title)

    @cached_property
    def content_hash(self) -> str:
        """Hash of the parsed content, so CRLF or a byte-order mark do not count as a change.
        Computed once per parse (the importer asks for it several times)."""
        canon = json.dumps([self.date.isoformat(), self.title, self.body, self.declared_comment_count,
                            [(c.path, c.text) for c in self.comments]], ensure_ascii=False)
        return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def make_slug(day: date, title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80].rstrip("-")
    return f"{day.isoformat()}-{words or 'untitled'}"


def decode(data: bytes, filename: str) -> list[str]:
    """Bytes to lines: UTF-8 only, byte-order mark dropped, CRLF and CR folded to LF."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise CorpusFormatError(filename, line, f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})")
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def parse_bytes(data: bytes, filename: str) -> ParsedPost:
    return parse_lines(decode(data, filename), filename)


def _next_nonblank(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def _parse_date(line: str, filename: str, lineno: int) -> date:
    m = DATE_RE.match(line.strip().replace("\u00a0", " "))
    if not m:
        raise CorpusFormatError(filename, lineno, f"expected a date line such as 'Wednesday 6 March 2019', found {line.strip()[:60]!r}")
    try:
        return date(int(m.group(4)), MONTHS.index(m.group(3)) + 1, int(m.group(2)))
    except ValueError:
        raise CorpusFormatError(filename, lineno, f"no such date: {line.strip()!r}")


def _trim_blank(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _dedent(line: str, width: int) -> str:
    """Strip the structural indentation only: up to width leading spaces, never text."""
    n = len(line) - len(line.lstrip(" "))
    return line[min(n, width):]


def parse_lines(lines: list[str], filename: str) -> ParsedPost:
    if not any(line.strip() for line in lines):
        raise CorpusFormatError(filename, 1, "the file is empty")
    i = _next_nonblank(lines, 0)
    day = _parse_date(lines[i], filename, i + 1)
    warnings = []
    if WEEKDAYS[day.weekday()] != lines[i].strip().split()[0].rstrip(","):
        warnings.append(f"line {i + 1}: {day.isoformat()} is a {WEEKDAYS[day.weekday()]}, not {lines[i].split()[0].rstrip(',')}")

    header_at = None
    for j in range(len(lines) - 1, i, -1):
        if lines[j].strip() and not lines[j][0].isspace():
            if HEADER_RE.match(lines[j]):
                header_at = j
            break

    t = _next_nonblank(lines, i + 1)
    if t >= len(lines) or t == header_at:
        raise CorpusFormatError(filename, min(t, len(lines)) + 1 if t < len(lines) else i + 2, "no title after the date line")
    if lines[t][0].isspace():
        raise CorpusFormatError(filename, t + 1, f"expected the title, found indented text {lines[t].strip()[:60]!r}")
    title = lines[t].strip()
    body_end = header_at if header_at is not None else len(lines)
    body = "\n".join(_trim_blank(lines[t + 1:body_end]))

    declared = None
    comments: list[ParsedComment] = []
    if header_at is not None:
        m = HEADER_RE.match(lines[header_at])
        declared = int(m.group(1)) if m.group(1) else 0
        comments = _parse_thread(lines, header_at + 1, filename, warnings)
        if declared != len(comments):
            warnings.append(f"line {header_at + 1}: declares {declared} comments, found {len(comments)}")
    return ParsedPost(filename, day, title, body, declared, comments, warnings)


def _parse_thread(lines: list[str], i: int, filename: str, warnings: list[str]) -> list[ParsedComment]:
    """The comment section: a small state machine over marker lines and indentation."""
    out: list[ParsedComment] = []
    state = "between"          # between | top | after_top | replies | reply
    top_no = 0
    reply_no = 0
    buf: list[str] = []
    current: ParsedComment | None = None

    def finish(width: int, ended: bool):
        nonlocal current, buf
        if current is not None:
            # _dedent inlined: this runs for every line of every comment (import speed).
            current.text = "\n".join(_trim_blank([x[:width].lstrip(" ") + x[width:] for x in buf]))
            if not ended:
                warnings.append(f"line {current.line}: comment {current.path} has no end marker (file cut short?)")
            out.append(current)
        current, buf = None, []

    def start_top(m, lineno):
        nonlocal current, buf, top_no, reply_no, state
        top_no, reply_no = int(m.group(1)), 0
        current = ParsedComment(str(top_no), "", lineno)
        buf = [" " * TOP_INDENT + (m.group(2) or "")]
        state = "top"

    while i < len(lines):
        line = lines[i].rstrip("\n")
        lineno = i + 1
        i += 1
        if state == "top":
            if line.rstrip() == TOP_END:
                finish(TOP_INDENT, True)
                state = "after_top"
            elif (m := TOP_RE.match(line)) and int(m.group(1)) == top_no + 1:
                finish(TOP_INDENT, False)       # a cut-short comment: the next one starts
                start_top(m, lineno)
            else:
                buf.append(line)
        elif state == "reply":
            if line.rstrip() == REPLY_END:
                finish(REPLY_INDENT, True)
                state = "replies"
            else:
                buf.append(line)
        elif not line.strip():
            continue
        elif m := TOP_RE.match(line):
            start_top(m, lineno)
        elif state == "after_top" and line.rstrip() == REPLIES:
            state = "replies"
        elif state == "replies" and (m := REPLY_RE.match(line)):
            reply_no = int(m.group(1))
            current = ParsedComment(f"{top_no}.{reply_no}", "", lineno, parent_path=str(top_no))
            buf = [" " * REPLY_INDENT + (m.group(2) or "")]
            state = "reply"
        else:
            expected = "a comment starting '  1. '" if state == "between" else \
                "'Replies', a reply or the next comment"
            raise CorpusFormatError(filename, lineno, f"expected {expected}, found {line.strip()[:60]!r}")
    if state == "top":
        finish(TOP_INDENT, False)
    elif state == "reply":
        finish(REPLY_INDENT, False)
    seen = set()
    for c in out:
        if c.path in seen:
            raise CorpusFormatError(filename, c.line, f"comment {c.path} appears twice")
        seen.add(c.path)
    return out
