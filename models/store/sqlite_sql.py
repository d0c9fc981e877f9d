"""SQL for the SQLite review store: the schema and the translation of a ``ReviewQuery`` into a
WHERE clause. Times are stored as integer microseconds since the Unix epoch (UTC)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.store.base import ReviewQuery

SCHEMA_VERSION = 2  # 2: reviews_time_facets
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
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_published ON reviews (published_at, id);
CREATE UNIQUE INDEX IF NOT EXISTS reviews_seq ON reviews (seq);
CREATE INDEX IF NOT EXISTS reviews_source ON reviews (source, published_at);
CREATE INDEX IF NOT EXISTS reviews_sentiment ON reviews (sentiment, published_at);
-- Covers trends and window counts by time with their usual groupings, so those read the
-- index alone and never the review bodies.
CREATE INDEX IF NOT EXISTS reviews_time_facets ON reviews (published_at, sentiment, source);
CREATE TABLE IF NOT EXISTS review_entities (
    entity TEXT NOT NULL, review_id TEXT NOT NULL, PRIMARY KEY (entity, review_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS review_entities_review ON review_entities (review_id);
CREATE TABLE IF NOT EXISTS review_topics (
    topic TEXT NOT NULL, review_id TEXT NOT NULL, PRIMARY KEY (topic, review_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS review_topics_review ON review_topics (review_id);
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

UPSERT = """
INSERT INTO reviews (id, seq, source, platform, published_at, sentiment, tokens, fingerprint,
                     content_hash, body)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    seq = excluded.seq, source = excluded.source, platform = excluded.platform,
    published_at = excluded.published_at, sentiment = excluded.sentiment,
    tokens = excluded.tokens, fingerprint = excluded.fingerprint,
    content_hash = excluded.content_hash, body = excluded.body
"""

# A GROUP BY key for each groupable field: (extra join, key expression).
GROUP_KEYS = {
    "sentiment": ("", "r.sentiment"),
    "source": ("", "r.source"),
    "platform": ("", "r.platform"),
    "entity": ("JOIN review_entities g ON g.review_id = r.id", "g.entity"),
    "topic": ("JOIN review_topics g ON g.review_id = r.id", "g.topic"),
}


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
    """Return ``(sql, params)`` filtering the alias ``r`` by ``query``."""
    parts: list[str] = []
    params: list = []

    def any_of(column: str, values: tuple[str, ...]) -> None:
        parts.append(f"{column} IN ({','.join('?' * len(values))})")
        params.extend(values)

    if query.sources:
        any_of("r.source", query.sources)
    if query.sentiments:
        any_of("r.sentiment", query.sentiments)
    if query.entities:
        # Correlated EXISTS: probes the (review_id) index per candidate row, where
        # "r.id IN (SELECT ...)" would first list every review the entity ever had.
        parts.append("EXISTS (SELECT 1 FROM review_entities e WHERE e.review_id = r.id AND "
                     f"e.entity IN ({','.join('?' * len(query.entities))}))")
        params.extend(query.entities)
    if query.topics:
        parts.append("EXISTS (SELECT 1 FROM review_topics t WHERE t.review_id = r.id AND "
                     f"t.topic IN ({','.join('?' * len(query.topics))}))")
        params.extend(query.topics)
    if query.start is not None:
        parts.append("r.published_at >= ?")
        params.append(micros(query.start))
    if query.end is not None:
        parts.append("r.published_at < ?")
        params.append(micros(query.end))
    if query.q is not None:
        expression = fts_expression(query.q)
        if expression is None:
            parts.append("0")
        else:
            parts.append("r.rowid IN (SELECT rowid FROM reviews_fts WHERE reviews_fts MATCH ?)")
            params.append(expression)
    return (" AND ".join(parts) or "1"), params
