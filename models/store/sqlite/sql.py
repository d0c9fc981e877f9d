"""SQL for the SQLite review store: the schema and the translation of a ``ReviewQuery`` into a
WHERE clause. Times are stored as integer microseconds since the Unix epoch (UTC).

The multi-valued fields (entities, topics, aspects) live in side tables, one row per review
and value, which repeat the review's ``published_at``, ``sentiment`` and ``source``: a count
or trend filtered by one of them reads that table's (value, published_at, ...) index alone
instead of probing every review of the period (see ``facet_from``)."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

from models.review import REACH_COUNTS
from models.store.base import MULTI_VALUED, ReviewQuery

# 2: reviews_time_facets; 3: facet tables carry time, sentiment, source; 4: reviews.rating,
# facet tables carry the rating too, and the review_keywords side table; 5: the hourly
# roll-ups (``rollup``)
SCHEMA_VERSION = 5
FACETS_VERSION = 4  # a file older than this rebuilds its side tables
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    source TEXT NOT NULL,
    platform TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    sentiment TEXT,
    tokens TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    body TEXT NOT NULL,
    rating REAL
);
CREATE INDEX IF NOT EXISTS reviews_published ON reviews (published_at, id);
CREATE UNIQUE INDEX IF NOT EXISTS reviews_seq ON reviews (seq);
CREATE INDEX IF NOT EXISTS reviews_source ON reviews (source, published_at);
CREATE INDEX IF NOT EXISTS reviews_sentiment ON reviews (sentiment, published_at);
-- Covers trends and window counts by time with their usual groupings, so those read the
-- index alone and never the review bodies.
CREATE INDEX IF NOT EXISTS reviews_time_facets ON reviews (published_at, sentiment, source);
CREATE VIRTUAL TABLE IF NOT EXISTS reviews_fts USING fts5 (
    tokens, content='reviews', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0'
);
CREATE TRIGGER IF NOT EXISTS reviews_fts_insert AFTER INSERT ON reviews BEGIN
    INSERT INTO reviews_fts (rowid, tokens) VALUES (new.rowid, new.tokens);
END;
CREATE TRIGGER IF NOT EXISTS reviews_fts_delete AFTER DELETE ON reviews BEGIN
    INSERT INTO reviews_fts (reviews_fts, rowid, tokens) VALUES ('delete', old.rowid, old.tokens);
END;
CREATE TRIGGER IF NOT EXISTS reviews_fts_update AFTER UPDATE OF tokens ON reviews BEGIN
    INSERT INTO reviews_fts (reviews_fts, rowid, tokens) VALUES ('delete', old.rowid, old.tokens);
    INSERT INTO reviews_fts (rowid, tokens) VALUES (new.rowid, new.tokens);
END;
"""

# Multi-valued fields: ``ReviewQuery`` attribute -> (side table, value column).
FACETS = {"entities": ("review_entities", "entity"), "topics": ("review_topics", "topic"),
          "aspects": ("review_aspects", "aspect"), "keywords": ("review_keywords", "keyword")}
FACET_TABLE = """
CREATE TABLE IF NOT EXISTS {table} (
    {column} TEXT NOT NULL, review_id TEXT NOT NULL, published_at INTEGER NOT NULL,
    sentiment TEXT, source TEXT NOT NULL, rating REAL, PRIMARY KEY ({column}, review_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS {table}_review ON {table} (review_id);
CREATE INDEX IF NOT EXISTS {table}_time ON {table} ({column}, published_at, sentiment, source,
                                                    rating);
"""
SCHEMA += "".join(FACET_TABLE.format(table=t, column=c) for t, c in FACETS.values())

# Before version 4 the side tables lacked columns (the rating; before version 3 everything
# but the value and review id): they are rebuilt from the stored bodies, the one copy of every
# review's values. review_keywords, new in version 4, is filled the same way.
MIGRATE_FACETS = "".join(f"DROP TABLE IF EXISTS {table};\n" for table, _ in FACETS.values())
BACKFILL_FACETS = {
    table: f"INSERT OR IGNORE INTO {table} SELECT {value}, r.id, r.published_at, r.sentiment, "
           f"r.source, r.rating FROM reviews r, json_each(r.body, '$.{field}') v"
    for field, table, value in (
        ("entities", "review_entities", "v.value"), ("topics", "review_topics", "v.value"),
        ("aspects", "review_aspects", "json_extract(v.value, '$[0]') || ':' || "
                                      "json_extract(v.value, '$[1]')"),
        ("keywords", "review_keywords", "v.value"))}
# Version 4 keeps each review's rating in a column of its own (grouped by ``rating``).
ADD_RATING = ["ALTER TABLE reviews ADD COLUMN rating REAL",
              "UPDATE reviews SET rating = json_extract(body, '$.rating')"]
FACET_INSERT = {field: f"INSERT OR IGNORE INTO {table} VALUES (?, ?, ?, ?, ?, ?)"
                for field, (table, _) in FACETS.items()}

UPSERT = """
INSERT INTO reviews (id, seq, source, platform, published_at, sentiment, tokens, fingerprint,
                     content_hash, body, rating)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    seq = excluded.seq, source = excluded.source, platform = excluded.platform,
    published_at = excluded.published_at, sentiment = excluded.sentiment,
    tokens = excluded.tokens, fingerprint = excluded.fingerprint,
    content_hash = excluded.content_hash, body = excluded.body, rating = excluded.rating
"""

# A GROUP BY key for each groupable field: (extra join, key expression).
GROUP_KEYS = {
    "sentiment": ("", "r.sentiment"),
    "source": ("", "r.source"),
    "platform": ("", "r.platform"),
    "entity": ("JOIN review_entities g ON g.review_id = r.id", "g.entity"),
    "topic": ("JOIN review_topics g ON g.review_id = r.id", "g.topic"),
    "aspect": ("JOIN review_aspects g ON g.review_id = r.id", "g.aspect"),
    # ``rating_key``: whole stars, half up, as text; NULL without a rating
    "rating": ("", "CAST(CAST(r.rating + 0.5 AS INTEGER) AS TEXT)"),
}
# The ``ReviewQuery`` attribute, side table and value column of each multi-valued group field.
MULTI_GROUPS = {name: (field, *FACETS[field]) for name, field in MULTI_VALUED.items()}
# Groupings a facet side table answers from its own columns.
FACET_GROUPS = {"sentiment": "f.sentiment", "source": "f.source",
                "rating": "CAST(CAST(f.rating + 0.5 AS INTEGER) AS TEXT)"}


# An ungrouped trend as one counting subquery per bucket: each is a range of an index, so
# the rows never go through the temporary B-tree a GROUP BY on the computed bucket needs (a
# 14-day hourly baseline at 1,000,000 reviews: ~110 ms against ~400 ms). Used up to
# ``BUCKET_LIMIT`` buckets; past that the empty buckets would cost more than the sort.
BUCKET_LIMIT = 5000
MAX_LIMIT = 2 ** 62  # "no limit" for a LIMIT parameter
BUCKET_COUNTS = """
WITH RECURSIVE b(lo) AS (SELECT {first} UNION ALL SELECT lo + ? FROM b WHERE lo + ? < ?)
SELECT lo, n FROM (
    SELECT lo, (SELECT {counted} FROM {table} {alias} WHERE {where}
                AND {alias}.published_at >= max(b.lo, ?)
                AND {alias}.published_at < min(b.lo + ?, ?)) AS n FROM b)
WHERE n > 0 ORDER BY lo
"""


# ``Review.reach`` of the review row under alias ``{a}``, read from its stored body (reach is
# not worth a column of its own: it only narrows reads that list reviews).
REACH = " + ".join(f"coalesce(json_extract({{a}}.body, '$.{name}'), 0)"
                   for name in REACH_COUNTS)


def statements(script: str) -> list[str]:
    """``script`` split into complete statements (trigger bodies hold semicolons), so that
    they can run one by one inside a transaction, which ``executescript`` would commit."""
    out, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            out.append(pending.strip())
            pending = ""
    return [s for s in out if s] + ([pending.strip()] if pending.strip() else [])


def bucket(column: str, step: int | None, offset: int = 0) -> tuple[str, list]:
    """The SQL of the start of the trend bucket holding ``column`` (microseconds) and its
    parameters: buckets of ``step`` starting at ``offset`` + k × step (``bucket_steps``);
    NULL when ``step`` is None (no buckets)."""
    if not step:
        return "NULL", []
    if not offset:
        return f"({column} / ?) * ?", [step, step]
    return f"(({column} - ?) / ?) * ? + ?", [offset, step, step, offset]


def micros(value: datetime) -> int:
    return (value - EPOCH) // timedelta(microseconds=1)


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def fts_expression(q: str) -> str | None:
    """Each whitespace-separated term becomes a quoted FTS5 phrase; all must match. Terms with
    no letters or digits cannot match a token and are dropped; None means "matches nothing"."""
    terms = [t for t in q.split() if any(ch.isalnum() for ch in t)]
    if not terms:
        return None
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)


def where_clause(query: ReviewQuery) -> tuple[str, list]:
    """Return ``(sql, params)`` filtering the alias ``r`` (the reviews table) by ``query``."""
    parts, params = filters(query, "r", "r.id")
    if query.q is not None:
        expression = fts_expression(query.q)
        if expression is None:
            parts.append("0")
        else:
            parts.append("r.rowid IN (SELECT rowid FROM reviews_fts WHERE reviews_fts MATCH ?)")
            params.append(expression)
    return (" AND ".join(parts) or "1"), params


def facet_from(query: ReviewQuery, group_by: str | None) -> tuple[str, str, list, str] | None:
    """``(table, where, params, count)`` answering a count or trend of ``query`` from the side
    table (alias ``f``) of its first multi-valued filter, or None when the reviews table must
    be read (no such filter, a full-text query, or a grouping the side table lacks).
    ``count`` counts each review once even when it has several of the wanted values."""
    driver = next((name for name in FACETS if getattr(query, name)), None)
    if driver is None or query.q is not None or (group_by and group_by not in FACET_GROUPS):
        return None
    parts, params = facet_filters(query, driver)
    count = "COUNT(*)" if len(getattr(query, driver)) == 1 else "COUNT(DISTINCT f.review_id)"
    return FACETS[driver][0], " AND ".join(parts), params, count


def facet_filters(query: ReviewQuery, driver: str) -> tuple[list[str], list]:
    """The conditions over the side table of the multi-valued filter ``driver`` (alias ``f``)
    for ``query`` but full text: one of ``driver``'s values, then the other filters."""
    values = getattr(query, driver)
    parts, params = filters(query, "f", "f.review_id", skip=driver)
    return [f"f.{FACETS[driver][1]} IN ({','.join('?' * len(values))})", *parts], \
        [*values, *params]


def filters(query: ReviewQuery, alias: str, id_column: str,
             skip: str | None = None) -> tuple[list[str], list]:
    """The filters other than full text over a table with ``source``, ``sentiment`` and
    ``published_at`` columns under ``alias``; multi-valued ones (but ``skip``) as EXISTS."""
    parts: list[str] = []
    params: list = []

    def any_of(column: str, values: tuple[str, ...]) -> None:
        parts.append(f"{alias}.{column} IN ({','.join('?' * len(values))})")
        params.extend(values)

    if query.sources:
        any_of("source", query.sources)
    if query.sentiments:
        any_of("sentiment", query.sentiments)
    for name, (table, column) in FACETS.items():
        values = getattr(query, name)
        if values and name != skip:
            # Correlated EXISTS: probes the (review_id) index per candidate row, where
            # "id IN (SELECT ...)" would first list every review the value ever had.
            parts.append(f"EXISTS (SELECT 1 FROM {table} x WHERE x.review_id = {id_column} "
                         f"AND x.{column} IN ({','.join('?' * len(values))}))")
            params.extend(values)
    if query.start is not None:
        parts.append(f"{alias}.published_at >= ?")
        params.append(micros(query.start))
    if query.end is not None:
        parts.append(f"{alias}.published_at < ?")
        params.append(micros(query.end))
    if query.min_reach is not None:
        # a side table has no body: its review's row is probed by id
        parts.append(f"({REACH.format(a=alias)}) >= ?" if alias == "r" else
                     f"EXISTS (SELECT 1 FROM reviews y WHERE y.id = {id_column} "
                     f"AND ({REACH.format(a='y')}) >= ?)")
        params.append(query.min_reach)
    return parts, params
