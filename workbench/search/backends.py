"""The two full-text backends behind one interface: match(query) → ranked hits; snippets(hits).

PostgreSQL: to_tsvector('english', …) of the live rows, matched with phraseto_tsquery per word or
phrase, ranked by ts_rank_cd, highlighted by ts_headline. Always current: it reads the tables.

SQLite: FTS5 (porter unicode61) in the connection's temp schema, compared on every search with a
cheap signature of the source tables and rebuilt when they changed. Why not a persistent FTS5
table kept by triggers: the test harness empties every table listed in sqlite_master (which
corrupts FTS5 shadow tables) and the migration check would see the virtual tables as schema
drift. The corpus (posts, comments) and the claim side (claims, sources, discussion) are indexed
apart, so a claim edit rebuilds only the small claim index.
"""
from dataclasses import dataclass
from html import escape

from sqlalchemy import text

from ..extensions import db
from .query import Query

OPEN, CLOSE = "\x02", "\x03"
MAX_HITS = 5000

# kind → (FTS group, SQL giving rowid-free documents: key, title, body)
_DOCS = {
    "post": ("corpus", "SELECT id, title, body FROM post"),
    "comment": ("corpus", "SELECT id, '', text FROM comment"),
    "claim": ("claims", "SELECT id, '', statement FROM claim WHERE retracted_at IS NULL"),
    "source": ("claims", "SELECT id, title, quote || ' ' || publisher FROM source WHERE retracted_at IS NULL"),
    "discussion": ("claims", "SELECT id, '', body FROM discussion_post"),
}
_SIGNATURES = {
    "corpus": "SELECT (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || total(length(body)) FROM post) "
              "|| '|' || (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || total(length(text)) FROM comment)",
    "claims": "SELECT (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(version), 0) || ':' "
              "|| count(retracted_at) || ':' || total(length(statement)) FROM claim) || '|' || (SELECT count(*) || ':' || coalesce(max(id), 0) "
              "|| ':' || count(retracted_at) || ':' || total(length(title) + length(quote)) FROM source) || '|' || "
              "(SELECT count(*) || ':' || coalesce(max(id), 0) FROM discussion_post)",
}


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
    def _ensure(self, group: str) -> None:
        conn = db.session.connection()
        conn.exec_driver_sql(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.wb_fts_{group} USING fts5("
                             "kind UNINDEXED, key UNINDEXED, title, body, tokenize='porter unicode61')")
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS temp.wb_fts_state (grp TEXT PRIMARY KEY, sig TEXT)")
        sig = conn.exec_driver_sql(_SIGNATURES[group]).scalar()
        have = conn.execute(text("SELECT sig FROM temp.wb_fts_state WHERE grp = :g"), {"g": group}).scalar()
        if have == sig:
            return
        conn.exec_driver_sql(f"DELETE FROM temp.wb_fts_{group}")
        for kind, (grp, sql) in _DOCS.items():
            if grp == group:
                conn.execute(text(f"INSERT INTO temp.wb_fts_{group} (kind, key, title, body) "
                                  f"SELECT :kind, d.* FROM ({sql}) AS d"), {"kind": kind})
        conn.execute(text("INSERT OR REPLACE INTO temp.wb_fts_state (grp, sig) VALUES (:g, :s)"),
                     {"g": group, "s": sig})

    def match(self, query: Query, kinds) -> list[Hit]:
        hits = []
        for group in ("corpus", "claims"):
            wanted = [k for k in kinds if _DOCS[k][0] == group]
            if not wanted:
                continue
            self._ensure(group)
            rows = db.session.connection().execute(text(
                f"SELECT kind, key, bm25(wb_fts_{group}, 0, 0, 4.0, 1.0) FROM temp.wb_fts_{group} "
                f"WHERE wb_fts_{group} MATCH :q AND kind IN ({', '.join(repr(k) for k in wanted)}) "
                f"ORDER BY 3 LIMIT {MAX_HITS}"), {"q": query.fts5()})
            hits += [Hit(kind, int(key), -score) for kind, key, score in rows]
        return hits

    def snippets(self, query: Query, hits: list[Hit]) -> None:
        by_group: dict[str, list[Hit]] = {}
        for h in hits:
            by_group.setdefault(_DOCS[h.kind][0], []).append(h)
        for group, group_hits in by_group.items():
            self._ensure(group)
            keys = {(h.kind, h.id): h for h in group_hits}
            rows = db.session.connection().execute(text(
                f"SELECT kind, key, snippet(wb_fts_{group}, 3, :o, :c, '…', 24), "
                f"snippet(wb_fts_{group}, 2, :o, :c, '…', 12) FROM temp.wb_fts_{group} "
                f"WHERE wb_fts_{group} MATCH :q AND key IN ({', '.join(str(h.id) for h in group_hits)})"),
                {"q": query.fts5(), "o": OPEN, "c": CLOSE})
            for kind, key, body, title in rows:
                hit = keys.get((kind, int(key)))
                if hit is not None:
                    hit.snippet = html_snippet(body if OPEN in body or not title else title)


class PostgresBackend:
    _TEXT = {"post": ("post", "title || ' ' || body"), "comment": ("comment", "text"),
             "claim": ("claim", "statement"), "source": ("source", "title || ' ' || quote || ' ' || publisher"),
             "discussion": ("discussion_post", "body")}
    _WHERE = {"claim": "retracted_at IS NULL", "source": "retracted_at IS NULL"}

    def _tsquery(self, query: Query) -> tuple[str, dict]:
        params = {f"t{i}": part for i, part in enumerate(query.tsquery_parts())}
        joiner = " || " if query.any_term else " && "
        return "(" + joiner.join(f"phraseto_tsquery('english', :{k})" for k in params) + ")", params

    def match(self, query: Query, kinds) -> list[Hit]:
        tsq, params = self._tsquery(query)
        selects = []
        for kind in kinds:
            table, expr = self._TEXT[kind]
            where = f" AND {self._WHERE[kind]}" if kind in self._WHERE else ""
            selects.append(f"SELECT '{kind}' AS kind, id, ts_rank_cd(to_tsvector('english', {expr}), qs.q) AS r "
                           f"FROM {table}, (SELECT {tsq} AS q) AS qs WHERE numnode(qs.q) > 0 AND "
                           f"to_tsvector('english', {expr}) @@ qs.q{where}")
        sql = " UNION ALL ".join(selects) + f" ORDER BY r DESC LIMIT {MAX_HITS}"
        return [Hit(kind, id_, float(r)) for kind, id_, r in db.session.execute(text(sql), params)]

    def snippets(self, query: Query, hits: list[Hit]) -> None:
        tsq, params = self._tsquery(query)
        opts = f"StartSel={OPEN}, StopSel={CLOSE}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=…"
        params["opts"] = opts
        for kind in {h.kind for h in hits}:
            table, expr = self._TEXT[kind]
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


def backend():
    return PostgresBackend() if db.engine.dialect.name == "postgresql" else SqliteBackend()
