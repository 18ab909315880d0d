"""Import dump files into the database, idempotently and all-or-nothing per run.

Files are parsed first; a malformed file is reported and never reaches the database.
Parsed posts are written in batches with bulk INSERT … RETURNING (posts, then each
depth of the thread, so replies get their parent's id) inside the caller's transaction:
the caller commits once, so an import that fails half-way leaves nothing behind.
"""
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import DBAPIError

from ..db import utcnow
from ..extensions import db
from ..search.bulk import search_index_in_bulk
from .models import Comment, Post
from .parser import ParsedPost
from .queries import stored_content_hashes
from .reading import read_batches

BATCH_FILES = 400
ANALYZE_AFTER = 10_000   # comments: a large import refreshes PostgreSQL's planner statistics


@dataclass
class FileResult:
    filename: str
    status: str          # imported | unchanged | extended | corrected | changed | error
    message: str = ""
    comments: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    results: list[FileResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def comments_imported(self) -> int:
        return sum(r.comments for r in self.results if r.status in ("imported", "extended", "corrected"))

    @property
    def failed(self) -> bool:
        return any(r.status in ("error", "changed") for r in self.results)

    def summary(self) -> str:
        parts = [f"{self.count(s)} {s}" for s in ("imported", "extended", "corrected", "unchanged", "changed",
                                                  "error")
                 if self.count(s)]
        return ", ".join(parts or ["nothing to import"]) + f"; {self.comments_imported} comments added"


def collect_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and every *.txt below each folder, in a stable order."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(x for x in p.rglob("*.txt") if x.is_file()))
        else:
            out.append(p)
    return out


def import_paths(paths: Iterable[str | Path], progress: Callable[[int, int, int], None] | None = None,
                 parallel: bool | None = None, accept_changes: bool = False, actor=None) -> ImportReport:
    """Import files and folders in the caller's transaction. parallel: parse in a second
    process (None: when there are many files; see corpus/reading.py). accept_changes: a stored
    post whose text differs in the file is corrected to the file's text, if every claim on the
    changed texts can be moved to its words (annotations/anchoring.py); otherwise it is reported
    as changed, as without the option. actor: who corrects (the audit events name them; None is
    the command line)."""
    with _large_page_cache(), search_index_in_bulk() as index_batch:   # the index: a statement per batch
        report = _import_files(collect_files(paths), progress, index_batch, parallel, accept_changes, actor)
    if report.comments_imported >= ANALYZE_AFTER and db.engine.dialect.name == "postgresql":
        # PostgreSQL plans the search queries from table statistics, which autovacuum gathers
        # only later: until then phrase searches ran about 5x slower (bench/search_bench.py).
        # ANALYZE may run in the import's transaction and counts its own new rows.
        db.session.execute(text("ANALYZE post"))
        db.session.execute(text("ANALYZE comment"))
    return report


IMPORT_CACHE_KIB = 64 * 1024


@contextmanager
def _large_page_cache():
    """SQLite: a 64 MB page cache for the import's connection, then back to what it was. With the
    default 2 MB, the full-text index work between batches evicted the comment table's index
    pages, which the next batch then read again: 8-10% of a 2,000-post import."""
    conn = db.session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        try:   # on the connection itself: after a failed flush the session refuses until rolled back
            conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")
        except DBAPIError:   # a broken connection is discarded by the pool anyway
            pass


def _import_files(files: list[Path], progress, index_batch, parallel, accept_changes=False,
                  actor=None) -> ImportReport:
    report = ImportReport()
    seen: dict[str, str] = {}   # slug -> content hash, within this run
    done = 0
    for reads in read_batches(files, BATCH_FILES, parallel):
        batch: list[tuple[ParsedPost, FileResult]] = []
        for path, parsed, error in reads:
            result = FileResult(str(path), "error", error)
            report.results.append(result)
            if parsed is None:
                continue
            result.warnings = parsed.warnings
            if parsed.slug in seen:
                same = seen[parsed.slug] == parsed.content_hash
                result.status = "unchanged" if same else "changed"
                result.message = "same post as another file in this import" if same else \
                    "another file in this import holds a different version of this post"
                continue
            seen[parsed.slug] = parsed.content_hash
            batch.append((parsed, result))
        _write_batch(batch, accept_changes, actor)
        index_batch()
        done += len(reads)
        if progress:
            progress(done, len(files), report.comments_imported)
    return report


def _write_batch(batch: list[tuple[ParsedPost, FileResult]], accept_changes: bool = False, actor=None) -> None:
    if not batch:
        return
    slugs = [p.slug for p, _ in batch]
    existing = {row.slug: row for row in db.session.execute(
        select(Post.id, Post.slug, Post.content_hash).where(Post.slug.in_(slugs)))}
    # A stored hash of an older formula (before November 2026 it hashed a JSON document) is not
    # a change: those posts are hashed again from their rows, two queries for the batch, and the
    # same content keeps today's hash so the next run compares equal.
    rehashed = stored_content_hashes([p.slug for p, _ in batch if p.slug in existing
                                      and existing[p.slug].content_hash != p.content_hash])
    refreshed = []
    new: list[tuple[ParsedPost, FileResult]] = []
    for parsed, result in batch:
        row = existing.get(parsed.slug)
        if row is None:
            new.append((parsed, result))
        elif parsed.content_hash in (row.content_hash, rehashed.get(parsed.slug)):
            result.status, result.message = "unchanged", "already imported; nothing changed"
            if row.content_hash != parsed.content_hash:
                refreshed.append({"id": row.id, "content_hash": parsed.content_hash})
        else:
            _extend_or_report(row.id, parsed, result, accept_changes, actor)
    if refreshed:
        db.session.execute(update(Post), refreshed)
    if not new:
        return
    now = utcnow()
    post_rows = [dict(slug=p.slug, date=p.date, title=p.title, body=p.body,
                      declared_comment_count=p.declared_comment_count, comment_count=len(p.comments),
                      source_name=Path(p.filename).name, content_hash=p.content_hash, imported_at=now)
                 for p, _ in new]
    _insert_numbered([p for p, _ in new], post_rows)
    for parsed, result in new:
        result.status, result.comments = "imported", len(parsed.comments)
        result.message = f"{len(parsed.comments)} comments"


COMMENT_COLUMNS = "id, post_id, parent_id, path, position, depth, text"


def _insert_numbered(posts: list[ParsedPost], post_rows: list[dict]) -> None:
    """Number the new posts and comments here, so every reply knows its parent's id before
    anything is sent: one bulk statement per table, no RETURNING, no depth-by-depth round trips
    (half the time of INSERT … RETURNING on SQLite; bench/import_bench.py).

    The ids are safe from other writers: on SQLite the import's transaction holds the one write
    lock (BEGIN IMMEDIATE, and the index pause has already written), so the next ids are the
    current maxima + 1; on PostgreSQL they are drawn from the tables' own sequences, which no
    other transaction can hand out again. PostgreSQL takes the comments by COPY."""
    conn = db.session.connection()
    n_comments = sum(len(p.comments) for p in posts)
    post_ids, comment_ids = _new_ids(conn, "post", len(posts)), _new_ids(conn, "comment", n_comments)
    rows = []
    for parsed, post_row in zip(posts, post_rows):
        post_row["id"] = post_id = next(post_ids)
        ids: dict[str, int] = {}
        for pos, c in enumerate(parsed.comments):
            ids[c.path] = cid = next(comment_ids)
            rows.append((cid, post_id, ids.get(c.parent_path) if c.parent_path else None,
                         c.path, pos, c.depth, c.text))
    conn.execute(insert(Post.__table__), post_rows)
    if conn.dialect.name == "postgresql":
        with conn.connection.driver_connection.cursor() as cur:
            with cur.copy(f"COPY comment ({COMMENT_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        conn.exec_driver_sql(f"INSERT INTO comment ({COMMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def _new_ids(conn, table: str, n: int) -> Iterator[int]:
    if n == 0:
        return iter(())
    if conn.dialect.name == "postgresql":
        return iter(conn.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %(n)s)",
            {"n": n}).scalars().all())
    top = conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar()
    return iter(range(top + 1, top + 1 + n))


def _insert_comments(items: list[tuple[int, list]], parent_ids: dict | None = None) -> None:
    """Insert comments depth by depth, so each reply can point at its parent's new id."""
    parent_ids = dict(parent_ids or {})
    deepest = max((c.depth for _, numbered in items for _, c in numbered), default=-1)
    for depth in range(deepest + 1):
        rows = []
        for post_id, numbered in items:
            for pos, c in numbered:
                if c.depth != depth:
                    continue
                parent = parent_ids.get((post_id, c.parent_path)) if c.parent_path else None
                rows.append(dict(post_id=post_id, parent_id=parent, path=c.path, position=pos,
                                 depth=depth, text=c.text))
        if not rows:
            continue   # a re-crawl may add only replies: nothing new at this depth, more below
        if depth < deepest:
            # Someone's parent: keep the new ids, keyed by (post, path) from RETURNING.
            parent_ids.update(((r.post_id, r.path), r.id) for r in db.session.execute(
                insert(Comment.__table__).returning(Comment.id, Comment.post_id, Comment.path), rows))
        else:
            db.session.execute(insert(Comment.__table__), rows)  # the deepest level: plain executemany


def _extend_or_report(post_id: int, parsed: ParsedPost, result: FileResult, accept_changes: bool = False,
                      actor=None) -> None:
    """A re-crawled dump may hold more comments: add them if nothing stored has changed. With
    accept_changes, changed texts are corrected too, if every claim on them finds its words."""
    post = db.session.get(Post, post_id)
    stored = db.session.execute(
        select(Comment.path, Comment.text, Comment.id).where(Comment.post_id == post_id)
        .order_by(Comment.position)).all()
    stored_text = {r.path: r.text for r in stored}
    incoming = {c.path: c.text for c in parsed.comments}
    changed = [p for p, t in stored_text.items() if incoming.get(p) != t]
    if post.title != parsed.title or post.body != parsed.body or changed:
        if not accept_changes:
            where = "the post body" if post.body != parsed.body else \
                "the title" if post.title != parsed.title else f"comment {changed[0]}"
            result.status = "changed"
            result.message = (f"differs from the stored post {post.slug!r} in {where}; not imported "
                              "(stored claims are anchored to the stored text; --accept-changes corrects "
                              "it and moves the claims to their words)")
            return
        if not _correct(post, stored, parsed, result, actor):
            return
    numbered = list(enumerate(parsed.comments))
    extra = [(pos, c) for pos, c in numbered if c.path not in stored_text]
    ids = {r.path: r.id for r in stored}
    # Thread order follows the new file: a new reply 3.3 sits before comment 4.
    db.session.execute(update(Comment), [{"id": ids[c.path], "position": pos}
                                         for pos, c in numbered if c.path in ids])
    _insert_comments([(post_id, extra)], {(post_id, path): i for path, i in ids.items()})
    db.session.execute(update(Post).where(Post.id == post_id).values(
        comment_count=len(stored) + len(extra), content_hash=parsed.content_hash,
        declared_comment_count=parsed.declared_comment_count))
    if result.status == "corrected":
        if extra:
            result.message += f"; {len(extra)} new comments added"
        result.comments = len(extra)
        return
    result.status, result.comments = "extended", len(extra)
    result.message = f"{len(extra)} new comments added to the stored post"


def _correct(post: Post, stored, parsed: ParsedPost, result: FileResult, actor=None) -> bool:
    """Replace the stored texts that differ with the file's, moving every claim on them to its
    words; the old texts stay in the audit log. False (and the post reported as changed, nothing
    written) when a stored comment is missing from the file or a claim's words cannot be found."""
    from ..annotations import anchoring
    from .. import audit
    incoming = {c.path: c.text for c in parsed.comments}
    missing = [r.path for r in stored if r.path not in incoming]
    if missing:
        result.status = "changed"
        result.message = (f"comment {missing[0]} of the stored post {post.slug!r} is not in the file "
                          f"({len(missing)} missing); stored comments are never removed, so nothing was changed")
        return False
    paths = {r.id: r.path for r in stored}
    changed: dict[int | None, tuple[str, str]] = {}
    if post.body != parsed.body:
        changed[None] = (post.body, parsed.body)
    changed.update({r.id: (r.text, incoming[r.path]) for r in stored if incoming[r.path] != r.text})
    describe = lambda cid: "the post body" if cid is None else f"comment {paths[cid]}"  # noqa: E731
    moves, problems = anchoring.plan(post.id, changed, describe)
    if problems:
        result.status = "changed"
        result.message = (f"differs from the stored post {post.slug!r}, and {len(problems)} claim span"
                          f"{'s' if len(problems) != 1 else ''} could not be moved to the corrected text, so "
                          "nothing was changed: " + "; ".join(problems))
        return False
    source = Path(parsed.filename).name
    reason = f"text corrected by re-importing {source}"
    units = [describe(cid) for cid in changed] + (["the title"] if post.title != parsed.title else [])
    for cid, (old, new) in changed.items():   # the old text, kept: no import deletes what was read
        audit.record(actor, "post" if cid is None else "comment", post.id if cid is None else cid,
                     "correct_text", before={"text": old}, after={"length": len(new)}, reason=reason)
    if post.title != parsed.title:
        audit.record(actor, "post", post.id, "correct_title", before={"title": post.title},
                     after={"title": parsed.title}, reason=reason)
    db.session.execute(update(Post).where(Post.id == post.id).values(
        title=parsed.title, body=parsed.body, source_name=source))
    comment_rows = [{"id": cid, "text": new} for cid, (_, new) in changed.items() if cid is not None]
    if comment_rows:
        db.session.execute(update(Comment), comment_rows)
    anchoring.apply(moves, reason, actor)
    anchoring.move_dismissals(post.id, changed)
    db.session.expire(post)   # its title and body were written past the ORM
    moved = sum(1 for m in moves if m.moved)
    result.status = "corrected"
    result.message = (f"corrected {', '.join(units)}; {len(moves)} claim span{'s' if len(moves) != 1 else ''} "
                      f"on the corrected text{'s' if len(changed) != 1 else ''}, {moved} moved to "
                      "their words")
    return True
