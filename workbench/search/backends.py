"""The two full-text backends behind one interface: match(query) → ranked hits; snippets(hits).

Both read an index the database keeps current itself (migration 0002 builds it), so a search
never rebuilds anything and an import, a claim edit or a retraction is searchable at once:

SQLite: one external-content FTS5 table per searchable table (porter unicode61), maintained by
triggers; matched with MATCH, ranked by bm25 (titles weigh 4×), highlighted by snippet().
Retracted claims and sources stay in the index (nothing is deleted) and are left out here.

PostgreSQL: a stored generated column search_tsv = to_tsvector('english', <text>) per table
(FTS_TEXT gives the text, as in the migration) with a GIN index; matched with
phraseto_tsquery per word or phrase on search_tsv (so the index is used), ranked by ts_rank_cd
of search_tsv (nothing recomputed), highlighted by ts_headline of the text.
"""
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from html import escape

from sqlalchemy import text

from ..extensions import db
from .query import Query

OPEN, CLOSE = "\x02", "\x03"
MAX_HITS = 5000
# Ranking costs per matching row (SQLite's bm25 about 3 µs), and so does every hit the service
# then looks up, so a word found in 100,000 comments would take hundreds of ms in full. By
# default only the RANK_WINDOW most recently imported matches of each kind (highest ids, after
# the date range) are ranked and returned; a rarer word or phrase is ranked over all its
# matches. window=None ranks every match (up to MAX_HITS per kind): the service asks for it
# when a claim filter will keep only a few of the hits.
RANK_WINDOW = 500
# Rows of each kind whose post lies in a date range (the date filter, applied inside the index
# query so the window holds only rows that can be shown).
_IN_DATES = {
    "post": "SELECT id FROM post WHERE date BETWEEN :d0 AND :d1",
    "comment": "SELECT comment.id FROM post JOIN comment ON comment.post_id = post.id WHERE post.date BETWEEN :d0 AND :d1",
}

# kind → (FTS5 table, bm25 column weights, the snippet column, the title column or None)
_FTS5 = {
    "post": ("fts_post", (4.0, 1.0), 1, 0),
    "comment": ("fts_comment", (1.0,), 0, None),
    "claim": ("fts_claim", (1.0,), 0, None),
    "source": ("fts_source", (4.0, 1.0, 1.0), 1, 0),
    "discussion": ("fts_discussion", (1.0,), 0, None),
}
# Indexed rows the search leaves out.
_HIDDEN = {"claim": "SELECT id FROM claim WHERE retracted_at IS NOT NULL",
           "source": "SELECT id FROM source WHERE retracted_at IS NOT NULL"}
# kind → (table, the text that migration 0002's search_tsv column holds as to_tsvector('english', …))
FTS_TEXT = {"post": ("post", "title || ' ' || body"), "comment": ("comment", "text"),
            "claim": ("claim", "statement"), "source": ("source", "title || ' ' || quote || ' ' || publisher"),
            "discussion": ("discussion_post", "body")}
_WHERE = {"claim": "retracted_at IS NULL", "source": "retracted_at IS NULL"}
_PG_DATES = {"post": "date BETWEEN :d0 AND :d1",
             "comment": "post_id IN (SELECT id FROM post WHERE date BETWEEN :d0 AND :d1)"}


@dataclass
class Hit:
    kind: str
    id: int
    rank: float           # higher is better
    snippet: str = ""


def html_snippet(raw: str) -> str:
    """Escape the engine's text, then turn the sentinel marks into <mark>."""
    return escape(raw).replace(OPEN, "<mark>").replace(CLOSE, "</mark>")


class SqliteBackend:
    def match(self, query: Query, kinds, window: int | None = RANK_WINDOW, dates=None) -> list[Hit]:
        """dates: (first, last) post dates, either may be None: posts and comments outside are
        not returned (claims, sources and discussion are, the caller filters those)."""
        hits = []
        conn = db.session.connection()
        params = {"q": query.fts5()}
        if dates and (dates[0] or dates[1]):
            params.update(d0=(dates[0] or date.min).isoformat(), d1=(dates[1] or date.max).isoformat())
        for kind in kinds:
            fts, weights, _, _ = _FTS5[kind]
            where = f"{fts} MATCH :q" + (f" AND rowid NOT IN ({_HIDDEN[kind]})" if kind in _HIDDEN else "")
            if "d0" in params and kind in _IN_DATES:
                where += f" AND +rowid IN ({_IN_DATES[kind]})"   # + : a filter, not 60,000 index lookups
            if window:
                # The newest `window` matches, walked from the end of the doclist (FTS5 seeks
                # a rowid by walking the doclist, so from the end is cheapest for new rows), and
                # their bm25 in the same statement; ordered by score here.
                rows = sorted(conn.execute(text(
                    f"SELECT rowid, bm25({fts}, {', '.join(map(str, weights))}) FROM {fts} "
                    f"WHERE {where} ORDER BY rowid DESC LIMIT {int(window)}"), params).all(),
                    key=lambda r: r[1])
            else:
                rows = conn.execute(text(
                    f"SELECT rowid, bm25({fts}, {', '.join(map(str, weights))}) FROM {fts} "
                    f"WHERE {where} ORDER BY 2 LIMIT {MAX_HITS}"), params).all()
            hits += [Hit(kind, rowid, -score) for rowid, score in rows]
        return hits

    def snippets(self, query: Query, hits: list[Hit]) -> None:
        """snippet() for the page's hits only, one statement per kind. FTS5 finds a rowid by
        walking the term's doclist (from the end when walking backwards), so the page's rows
        are read in one backward walk over their id range, the ids themselves checked outside
        the index (+rowid); `rowid IN (…)` cost one walk per id (a whole phrase scan, ~7 ms
        for a phrase in 40,000 comments)."""
        conn = db.session.connection()
        for kind in {h.kind for h in hits}:
            fts, _, body_col, title_col = _FTS5[kind]
            by_id = {h.id: h for h in hits if h.kind == kind}
            title = f"snippet({fts}, {title_col}, :o, :c, '…', 12)" if title_col is not None else "''"
            rows = conn.execute(text(
                f"SELECT rowid, snippet({fts}, {body_col}, :o, :c, '…', 24), {title} FROM {fts} "
                f"WHERE {fts} MATCH :q AND rowid BETWEEN {min(by_id)} AND {max(by_id)} "
                f"AND +rowid IN ({', '.join(str(int(i)) for i in by_id)}) ORDER BY rowid DESC"),
                {"q": query.fts5(), "o": OPEN, "c": CLOSE})
            for rowid, body, title_text in rows:
                hit = by_id.get(rowid)
                if hit is not None:
                    hit.snippet = html_snippet(body if OPEN in body or not title_text else title_text)


class PostgresBackend:
    def _tsquery(self, query: Query) -> tuple[str, dict]:
        params = {f"t{i}": part for i, part in enumerate(query.tsquery_parts())}
        joiner = " || " if query.any_term else " && "
        return "(" + joiner.join(f"phraseto_tsquery('english', :{k})" for k in params) + ")", params

    def match(self, query: Query, kinds, window: int | None = RANK_WINDOW, dates=None) -> list[Hit]:
        """As SQLite's: the GIN index finds the matches, the newest `window` of each kind are ranked."""
        tsq, params = self._tsquery(query)
        if dates and (dates[0] or dates[1]):
            params.update(d0=dates[0] or date.min, d1=dates[1] or date.max)
        limit = f" ORDER BY id DESC LIMIT {int(window)}" if window else ""
        selects = []
        for kind in kinds:
            table = FTS_TEXT[kind][0]
            where = f" AND {_WHERE[kind]}" if kind in _WHERE else ""
            if "d0" in params and kind in _PG_DATES:
                where += f" AND {_PG_DATES[kind]}"
            selects.append(f"(SELECT '{kind}' AS kind, id, ts_rank_cd(search_tsv, qs.q) AS r "
                           f"FROM (SELECT id, search_tsv, q FROM {table}, (SELECT {tsq} AS q) AS qs "
                           f"WHERE numnode(qs.q) > 0 AND search_tsv @@ qs.q{where}{limit}) AS qs)")
        sql = " UNION ALL ".join(selects) + f" ORDER BY r DESC LIMIT {MAX_HITS}"
        return [Hit(kind, id_, float(r)) for kind, id_, r in db.session.execute(text(sql), params)]

    def snippets(self, query: Query, hits: list[Hit]) -> None:
        tsq, params = self._tsquery(query)
        opts = f"StartSel={OPEN}, StopSel={CLOSE}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=…"
        params["opts"] = opts
        for kind in {h.kind for h in hits}:
            table, expr = FTS_TEXT[kind]
            if kind == "post":
                expr = "body"
            ids = [h.id for h in hits if h.kind == kind]
            rows = db.session.execute(text(
                f"SELECT id, ts_headline('english', {expr}, {tsq}, :opts) FROM {table} "
                f"WHERE id IN ({', '.join(str(i) for i in ids)})"), params)
            found = dict(rows.all())
            for h in hits:
                if h.kind == kind:
                    h.snippet = html_snippet(found.get(h.id, ""))


@contextmanager
def index_paused_for_import():
    """Around a bulk insert of posts and comments (the corpus import, inside its transaction):
    on SQLite the per-row index triggers are paused and the new rows are indexed in one
    statement per table at the end, which is ten times cheaper (FTS5 flushes at every
    statement). Ids only grow, so the new rows are those above the largest id before.
    On an exception nothing is indexed: the caller rolls the transaction back, pause included.
    PostgreSQL's GIN indexes need nothing."""
    if db.engine.dialect.name != "sqlite":
        yield
        return
    conn = db.session.connection()
    before = {t: conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {t}").scalar() for t in ("post", "comment")}
    conn.exec_driver_sql("INSERT INTO search_index_paused DEFAULT VALUES")
    yield
    conn = db.session.connection()
    conn.execute(text("INSERT INTO fts_post (rowid, title, body) SELECT id, title, body FROM post WHERE id > :m"),
                 {"m": before["post"]})
    conn.execute(text("INSERT INTO fts_comment (rowid, text) SELECT id, text FROM comment WHERE id > :m"),
                 {"m": before["comment"]})
    conn.exec_driver_sql("DELETE FROM search_index_paused")


def backend():
    return PostgresBackend() if db.engine.dialect.name == "postgresql" else SqliteBackend()
