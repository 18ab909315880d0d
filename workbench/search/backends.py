"""The two full-text backends behind one interface: match(query) → ranked hits; snippets(hits).

Both read an index the database keeps current itself (migration 0002 builds it), so a search
never rebuilds anything and an import, a claim edit or a retraction is searchable at once:

SQLite: one external-content FTS5 table per searchable table (porter unicode61), maintained by
triggers; matched with MATCH, ranked by bm25 (titles weigh 4×), highlighted by snippet().
Retracted claims and sources stay in the index (nothing is deleted) and are left out here.

PostgreSQL: a stored generated column search_tsv = to_tsvector('english', <text>) per table
(FTS_TEXT gives the text, as in the migration) with a GIN index; matched with
phraseto_tsquery per word or phrase on search_tsv, ranked by ts_rank_cd of search_tsv (nothing
recomputed), highlighted by ts_headline of the text (cut around the match first). The newest
matches of posts and comments are found in steps over id ranges (PostgresBackend._newest).
"""
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
# The same test made row by row as the index walks its matches newest first (two lookups each),
# for comments when the range holds at least WIDE_DATES of the posts: the list above then has
# tens of thousands of ids to build and probe (146 ms for two years of 10,000 posts, against
# 19 ms row by row), while a narrow range (one month: 48 ms as a list, 600 ms row by row) would
# make the walk pass most matches before it fills the window.
_ROW_IN_DATES = {"comment": "(SELECT post.date FROM comment JOIN post ON post.id = comment.post_id "
                            "WHERE comment.id = {fts}.rowid) BETWEEN :d0 AND :d1"}
WIDE_DATES = 0.1

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
                if kind in _ROW_IN_DATES and window and self._date_share(conn, params) >= WIDE_DATES:
                    where += " AND " + _ROW_IN_DATES[kind].format(fts=fts)
                else:
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

    @staticmethod
    def _date_share(conn, params) -> float:
        """The share of posts dated in the range (read from the date index)."""
        inside, every = conn.execute(text("SELECT (SELECT count(*) FROM post WHERE date BETWEEN :d0 AND :d1), "
                                          "(SELECT count(*) FROM post)"), params).one()
        return inside / every if every else 0.0

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
        """As SQLite's: the newest `window` matches of each kind, ranked by ts_rank_cd.

        PostgreSQL has no cheap way to walk the matches newest first: a backward scan of the
        primary key tests every row it passes (~2 µs each), a GIN bitmap scan visits every match
        in the heap (~10 µs each), and the planner misjudges phrases (it takes `a <-> b` to be
        as rare as a and b independently: 1,500 rows estimated for "chief inspector", 13,500
        found) so it chose the bitmap and spent 180 ms at 10,000 posts. So the corpus tables
        (post, comment) are searched in steps over id ranges, newest first (_newest), for a
        query of several words or a phrase; the small claim, source and discussion tables, a
        single word, a date range, or every match ranked (window=None) in one statement."""
        tsq, params = self._tsquery(query)
        if dates and (dates[0] or dates[1]):
            params.update(d0=dates[0] or date.min, d1=dates[1] or date.max)
        hits: list[Hit] = []
        small = []
        # The planner judges a single word well (its statistics count the common words); with
        # a date range its own choice is kept too: how dates run along the ids is unknown, so
        # the steps could end in a bitmap scan of every match.
        stepped = window and "d0" not in params and sum(len(t) for t in query.terms) > 1
        for kind in kinds:
            if stepped and kind in _PG_DATES:
                hits += self._newest(kind, tsq, params, int(window))
            else:
                small.append(kind)
        if small:
            limit = f" ORDER BY id DESC LIMIT {int(window)}" if window else ""
            selects = [f"(SELECT '{kind}' AS kind, id, ts_rank_cd(search_tsv, qs.q) AS r "
                       f"FROM (SELECT id, search_tsv, q FROM {FTS_TEXT[kind][0]}, (SELECT {tsq} AS q) AS qs "
                       f"WHERE numnode(qs.q) > 0 AND search_tsv @@ qs.q{self._where(kind, params)}{limit}) AS qs)"
                       for kind in small]
            sql = " UNION ALL ".join(selects) + f" ORDER BY r DESC LIMIT {MAX_HITS}"
            hits += [Hit(kind, id_, float(r)) for kind, id_, r in db.session.execute(text(sql), params)]
        hits.sort(key=lambda h: -h.rank)
        return hits[:MAX_HITS]

    @staticmethod
    def _where(kind: str, params: dict) -> str:
        where = f" AND {_WHERE[kind]}" if kind in _WHERE else ""
        if "d0" in params and kind in _PG_DATES:
            where += f" AND {_PG_DATES[kind]}"
        return where

    # Ids the first step reads backwards (at most PROBE rows tested one by one).
    PROBE = 2000

    def _newest(self, kind: str, tsq: str, params: dict, window: int) -> list[Hit]:
        """The newest `window` matches of a corpus table, in up to three steps:
        1. the newest PROBE ids, read backwards and tested row by row (`(… @@ …) IS TRUE` keeps
           the planner off the GIN index): enough for a common word or phrase;
        2. if that found some but too few, an id range just below it sized from the density
           seen in step 1, where the planner can combine the GIN and primary key indexes;
        3. what is still missing from every older row, through the GIN index (ORDER BY id + 0
           keeps the planner off a backward scan of the whole table): rare terms.
        The result is the same as one `ORDER BY id DESC LIMIT window` over every match."""
        table = FTS_TEXT[kind][0]
        where = self._where(kind, params)
        rank = f"SELECT id, ts_rank_cd(search_tsv, qs.q) AS r FROM {table}, (SELECT {tsq} AS q) AS qs WHERE numnode(qs.q) > 0"
        top = f"(SELECT max(id) FROM {table})"
        got = db.session.execute(text(
            f"SELECT id, r, {top} FROM ({rank} AND id > {top} - {self.PROBE} AND (search_tsv @@ qs.q) IS TRUE{where} "
            f"ORDER BY id DESC LIMIT {window}) AS probe"), params).all()
        rows = [(id_, r) for id_, r, _ in got]
        last = got[0][2] if got else db.session.execute(text(f"SELECT {top}")).scalar()
        if last is None:
            return []
        floor = last - self.PROBE
        if len(rows) < window and floor > 0 and rows:
            # Enough older ids to hold the rest at the density just seen, and a margin.
            span = int(1.5 * (window - len(rows)) * self.PROBE / len(rows)) + self.PROBE
            rows += db.session.execute(text(
                f"{rank} AND id > {floor - span} AND id <= {floor} AND search_tsv @@ qs.q{where} "
                f"ORDER BY id DESC LIMIT {window - len(rows)}"), params).all()
            floor -= span
        if len(rows) < window and floor > 0:
            rows += db.session.execute(text(
                f"{rank} AND id <= {floor} AND search_tsv @@ qs.q{where} "
                f"ORDER BY id + 0 DESC LIMIT {window - len(rows)}"), params).all()
        return [Hit(kind, id_, float(r)) for id_, r in rows]

    # Around the first place a query word appears, this many characters are handed to
    # ts_headline (before, after): it parses all the text it is given (~0.35 ms for a
    # 2,600-character post), and the page's posts cost 10 ms in full.
    SLICE = (240, 480)

    @staticmethod
    def _needles(query: Query) -> tuple[str, str]:
        """Where to cut: the longest word or phrase as typed, in lower case, and else the first
        five letters of the longest word, which the text almost always holds where a form of
        that word matches (a stem keeps a word's first letters: ministry → ministri, services
        → servic). ("", "") when the words are too short to be worth it."""
        term = " ".join(max(query.terms, key=lambda t: len(" ".join(t)), default=()))
        word = max((w for t in query.terms for w in t), key=len, default="")
        return (term, word[:5]) if len(word) >= 3 else ("", "")

    def snippets(self, query: Query, hits: list[Hit]) -> None:
        """ts_headline of the page's hits only. A post's long text is first cut to SLICE around the
        first place the query's longest word or phrase appears as typed (else the start of its
        longest word); a slice where ts_headline marks nothing (that start was there, but not a
        match: inspector for inspection) is done again in full."""
        tsq, params = self._tsquery(query)
        params["opts"] = f"StartSel={OPEN}, StopSel={CLOSE}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=…"
        params["typed"], params["stem"] = self._needles(query)
        before, after = self.SLICE
        for kind in {h.kind for h in hits}:
            table, expr = FTS_TEXT[kind]
            if kind == "post":
                expr = "body"
            ids = ", ".join(str(int(h.id)) for h in hits if h.kind == kind)
            if kind == "post" and params["typed"]:
                cut = (f"CASE WHEN p > 0 AND length(t) > {before + after} "
                       f"THEN substr(t, greatest(p - {before}, 1), {before + after}) ELSE t END")
                rows = db.session.execute(text(
                    f"SELECT id, ts_headline('english', {cut}, {tsq}, :opts), {cut} <> t FROM "
                    f"(SELECT id, t, coalesce(nullif(strpos(low, :typed), 0), strpos(low, :stem)) AS p FROM "
                    f"(SELECT id, {expr} AS t, lower({expr}) AS low FROM {table} WHERE id IN ({ids})) AS l) AS s"),
                    params).all()
            else:   # comments, claims, sources and discussion are short: as they are
                rows = db.session.execute(text(
                    f"SELECT id, ts_headline('english', {expr}, {tsq}, :opts), false FROM {table} "
                    f"WHERE id IN ({ids})"), params).all()
            found = {id_: snippet for id_, snippet, _ in rows}
            again = [id_ for id_, snippet, sliced in rows if sliced and OPEN not in snippet]
            if again:
                found.update(db.session.execute(text(
                    f"SELECT id, ts_headline('english', {expr}, {tsq}, :opts) FROM {table} "
                    f"WHERE id IN ({', '.join(str(int(i)) for i in again)})"), params).all())
            for h in hits:
                if h.kind == kind:
                    h.snippet = html_snippet(found.get(h.id, ""))


def backend():
    return PostgresBackend() if db.engine.dialect.name == "postgresql" else SqliteBackend()
