"""Translation of a ``ReviewQuery`` into Elasticsearch query DSL (filter context only)."""
from __future__ import annotations

from datetime import datetime, timezone

from models.store.base import ReviewQuery


def iso_nanos(value: datetime) -> str:
    """An ISO-8601 UTC time with microseconds, understood by ``date_nanos`` fields."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def word_terms(q: str) -> list[str] | None:
    """Whitespace-separated terms that can match a token; None means "matches nothing".
    Same rule as the SQLite store: a term without letters or digits is dropped."""
    terms = [t for t in q.split() if any(ch.isalnum() for ch in t)]
    return terms or None


def filters(query: ReviewQuery) -> list[dict]:
    """Return the filter clauses for ``query``; every clause must match."""
    out: list[dict] = []
    for field, values in (("source", query.sources), ("entities", query.entities),
                          ("sentiment.label", query.sentiments), ("topics", query.topics),
                          ("aspect_keys", query.aspects), ("keywords", query.keywords)):
        if values:
            out.append({"terms": {field: list(values)}})
    window = {}
    if query.start is not None:
        window["gte"] = iso_nanos(query.start)
    if query.end is not None:
        window["lt"] = iso_nanos(query.end)
    if window:
        out.append({"range": {"published_at": window}})
    if query.min_reach is not None:
        out.append({"range": {"reach": {"gte": query.min_reach}}})
    if query.q is not None:
        terms = word_terms(query.q)
        if terms is None:
            out.append({"match_none": {}})
        else:
            # term queries take the word as-is: no query syntax, so no input can break them
            out.extend({"term": {"tokens": t}} for t in terms)
    return out


# The fields whose filters a multi-search may move into a ``filter`` aggregation
# (``ElasticsearchReviewStore.aggregate``): the reads of one view differ in these.
NARROWING_FIELDS = frozenset({"sentiment.label", "topics", "aspect_keys", "keywords"})


def narrowing(clauses: list[dict]) -> tuple[list[dict], list[dict]]:
    """``filters`` output split into ``(the rest, the terms filters on NARROWING_FIELDS)``,
    each in its order: the first selects the documents, the second narrows them down."""
    rest, narrow = [], []
    for clause in clauses:
        terms = clause.get("terms")
        (narrow if terms and set(terms) <= NARROWING_FIELDS else rest).append(clause)
    return rest, narrow


def bool_query(query: ReviewQuery, *extra: dict) -> dict:
    return {"bool": {"filter": filters(query) + list(extra)}}
