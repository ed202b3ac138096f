"""Full-text search over articles: SQLite FTS5 on the embedded default, PostgreSQL full-text
search (a GIN index over the tsvector) in production, behind one function (ADR 170).

Both index `Article.title`, `tags` and `search_text`. On SQLite an external-content FTS5 table
is kept in step by triggers on the article table (so a flush, a bulk insert or a delete can never
leave it stale); on PostgreSQL the GIN index is over the same expression the query uses.
The access filter is part of the query, never applied afterwards, so a limit never hides
readable articles behind unreadable ones and nothing unreadable is ranked, counted or quoted.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.db import connection

_TOKEN = re.compile(r"\w+", re.UNICODE)
_START, _STOP = "\x02", "\x03"

SQLITE_SETUP = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS wiki_article_fts USING fts5("
    "title, tags, search_text, content='wiki_article', content_rowid='id', "
    "tokenize='porter unicode61')",
    "CREATE TRIGGER IF NOT EXISTS wiki_article_fts_ai AFTER INSERT ON wiki_article BEGIN "
    "INSERT INTO wiki_article_fts(rowid, title, tags, search_text) "
    "VALUES (new.id, new.title, new.tags, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS wiki_article_fts_ad AFTER DELETE ON wiki_article BEGIN "
    "INSERT INTO wiki_article_fts(wiki_article_fts, rowid, title, tags, search_text) "
    "VALUES ('delete', old.id, old.title, old.tags, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS wiki_article_fts_au AFTER UPDATE OF title, tags, search_text "
    "ON wiki_article BEGIN "
    "INSERT INTO wiki_article_fts(wiki_article_fts, rowid, title, tags, search_text) "
    "VALUES ('delete', old.id, old.title, old.tags, old.search_text); "
    "INSERT INTO wiki_article_fts(rowid, title, tags, search_text) "
    "VALUES (new.id, new.title, new.tags, new.search_text); END",
    # Ranking by FTS5's own `rank` column, so configured, lets FTS5 sort inside the index
    # scan: about twice as fast as ORDER BY bm25(...) over many matches.
    "INSERT INTO wiki_article_fts(wiki_article_fts, rank) VALUES ('rank', 'bm25(10.0, 5.0, 1.0)')",
    # Rows already there (the table was remade by a later migration): index them again.
    "INSERT INTO wiki_article_fts(wiki_article_fts) VALUES ('rebuild')",
]
POSTGRES_SETUP = [
    "CREATE INDEX IF NOT EXISTS wiki_article_search ON wiki_article "
    "USING gin (to_tsvector('english'::regconfig, search_text))",
]


def search_setup(schema_editor) -> None:
    """Create the index for this database. Idempotent: a later migration that remakes the
    wiki_article table on SQLite (which drops its triggers) must call it again."""
    vendor = schema_editor.connection.vendor
    for statement in (
        SQLITE_SETUP if vendor == "sqlite" else POSTGRES_SETUP if vendor == "postgresql" else []
    ):
        schema_editor.execute(statement)


@dataclass(frozen=True)
class Match:
    article_id: int
    rank: float
    snippet_html: str


@dataclass(frozen=True)
class Scope:
    """Which articles the reader may see: everything (platform admin), or those public, those
    shared with staff (for staff) and all of the spaces in `space_ids`."""

    everything: bool = False
    staff: bool = False
    space_ids: tuple[int, ...] = ()


def _words(query: str) -> list[str]:
    return _TOKEN.findall(query.casefold())[:12]


def _snippet(raw: str) -> str:
    escaped = html.escape(raw or "")
    return escaped.replace(_START, "<mark>").replace(_STOP, "</mark>")


def _access_sql(scope: Scope, params: list) -> str:
    if scope.everything:
        return "1=1"
    # Articles awaiting approval are read by their space's councils only.
    shared = "a.visibility IN ('public', 'staff')" if scope.staff else "a.visibility = 'public'"
    clauses = [f"(a.published AND {shared})"]
    if scope.space_ids:
        clauses.append(f"a.space_id IN ({', '.join(['%s'] * len(scope.space_ids))})")
        params.extend(scope.space_ids)
    return "(" + " OR ".join(clauses) + ")"


def _filters_sql(
    params: list, *, space_id: int | None, tag: str | None, service: str | None
) -> str:
    parts = []
    if space_id is not None:
        parts.append("a.space_id = %s")
        params.append(space_id)
    if tag:
        parts.append("(' ' || a.tags || ' ') LIKE %s")
        params.append(f"% {tag} %")
    if service:
        parts.append("(' ' || a.service_codes || ' ') LIKE %s")
        params.append(f"% {service} %")
    return "".join(f" AND {p}" for p in parts)


def search_matches(
    query: str,
    *,
    scope: Scope,
    space_id: int | None = None,
    tag: str | None = None,
    service: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[Match]:
    words = _words(query)
    if not words:
        return []
    params: list = []
    if connection.vendor == "postgresql":
        # websearch_to_tsquery never raises on what people type; words are ANDed.
        params.append(" ".join(words))
        access = _access_sql(scope, params)
        filters = _filters_sql(params, space_id=space_id, tag=tag, service=service)
        params.extend([limit, offset])
        sql = (
            # Only placeholders are put in: every value travels as a parameter.
            "SELECT m.id, m.rank, ts_headline('english', m.search_text, m.q, "  # noqa: S608
            f"'StartSel={_START}, StopSel={_STOP}, MaxWords=30, MinWords=12, MaxFragments=1') "
            "FROM (SELECT a.id, a.search_text, q.q, "
            "ts_rank_cd(to_tsvector('english'::regconfig, a.search_text), q.q) "
            "+ CASE WHEN to_tsvector('english'::regconfig, a.title) @@ q.q THEN 1 ELSE 0 END "
            "AS rank FROM wiki_article a, websearch_to_tsquery('english', %s) AS q(q) "
            "WHERE to_tsvector('english'::regconfig, a.search_text) @@ q.q "
            f"AND {access}{filters} ORDER BY rank DESC, a.id LIMIT %s OFFSET %s) m "
            "ORDER BY m.rank DESC, m.id"
        )
    else:
        # Each word quoted: FTS5's query syntax (NEAR, column filters, *) is not offered.
        params.append(" ".join(f'"{w}"' for w in words))
        access = _access_sql(scope, params)
        filters = _filters_sql(params, space_id=space_id, tag=tag, service=service)
        params.extend([limit, offset])
        # Ranked first, quoted after: SQLite computes every result column before it sorts, so
        # a snippet in the ranking query would be made for every match, not the page of them.
        sql = (
            "SELECT a.id, wiki_article_fts.rank "  # noqa: S608
            "FROM wiki_article_fts JOIN wiki_article a ON a.id = wiki_article_fts.rowid "
            f"WHERE wiki_article_fts MATCH %s AND {access}{filters} "
            "ORDER BY wiki_article_fts.rank LIMIT %s OFFSET %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ranked = cursor.fetchall()
            if not ranked:
                return []
            ids = [r[0] for r in ranked]
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(
                "SELECT rowid, snippet(wiki_article_fts, 2, char(2), char(3), '…', 24) "  # noqa: S608
                f"FROM wiki_article_fts WHERE wiki_article_fts MATCH %s AND rowid IN ({marks})",
                [params[0], *ids],
            )
            snippets = dict(cursor.fetchall())
        return [
            Match(article_id=i, rank=float(rank), snippet_html=_snippet(snippets.get(i, "")))
            for i, rank in ranked
        ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [Match(article_id=r[0], rank=float(r[1]), snippet_html=_snippet(r[2])) for r in rows]
