"""Aggregation bodies and their parsing: grouped counts and date-histogram trends. Functions
only build dicts and read responses; the store sends the requests."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.review import utc
from models.store.base import TrendPoint, group_field
from models.store.elasticsearch.mapping import GROUP_KEYS, SCALAR_GROUPS

MAX_GROUPS = 10_000
_MISSING = "\x00none"  # bucket key for a review without a value (never a real value)


_NO_RATING = -100  # ``missing`` value of the rating ranges (ratings are 0-5)


def group_terms(group_by: str, include: tuple[str, ...] = ()) -> dict:
    """The bucket aggregation grouping by ``group_by``; ``include`` keeps only those values.
    Ratings are whole-star ranges (``rating_key``): [k - 0.5, k + 0.5) is ``"k"``."""
    if group_field(group_by) == "rating":
        ranges = [{"key": _MISSING, "to": _NO_RATING + 1}] + [
            {"key": str(k), "from": k - 0.5, "to": k + 0.5} for k in range(6)]
        return {"range": {"field": "rating", "missing": _NO_RATING, "ranges": ranges}}
    terms = {"field": GROUP_KEYS[group_by], "size": MAX_GROUPS}
    if group_by in SCALAR_GROUPS:
        terms["missing"] = _MISSING
    if include:
        terms["include"] = list(include)
    return {"terms": terms}


def _key(bucket: dict) -> str | None:
    return None if bucket["key"] == _MISSING else bucket["key"]


def _buckets(aggregation: dict) -> list[dict]:
    """The non-empty buckets (a range aggregation lists its empty ranges too)."""
    return [b for b in aggregation["buckets"] if b["doc_count"]]


def grouped_counts(response: dict) -> dict[str | None, int]:
    return {_key(b): b["doc_count"] for b in _buckets(response["aggregations"]["groups"])}


def cross_groups(rows: str, columns: str, include: dict[str, tuple[str, ...]]) -> dict:
    """Two nested group aggregations; ``include`` maps a field to the values it keeps."""
    inner = group_terms(columns, include.get(columns, ()))
    return {"groups": {**group_terms(rows, include.get(rows, ())), "aggs": {"inner": inner}}}


def cross_counts(response: dict) -> dict[tuple[str | None, str | None], int]:
    return {(_key(row), _key(cell)): cell["doc_count"]
            for row in _buckets(response["aggregations"]["groups"])
            for cell in _buckets(row["inner"])}


def keyword_terms(limit: int, terms: list[str] | None) -> dict:
    """Keyword document counts: the top ``limit``, or exactly ``terms``."""
    size = len(terms) if terms is not None else limit
    body = {"field": "keywords", "size": size, "order": [{"_count": "desc"}, {"_key": "asc"}],
            # a wider look at each monthly index makes the merged top more exact
            "shard_size": max(size * 5, 200)}
    if terms is not None:
        body["include"] = terms
    return {"words": {"terms": body}}


def keyword_counts(response: dict) -> dict[str, int]:
    return {b["key"]: b["doc_count"] for b in _buckets(response["aggregations"]["words"])}


# the oldest matching review's publication time, exact to the microsecond (a ``min``
# aggregation answers a date_nanos field in milliseconds, as a double)
OLDEST = {"top_hits": {"size": 1, "sort": [{"published_at": "asc"}],
                       "_source": {"includes": ["published_at"]}}}


def first_published(response: dict) -> dict[str | None, datetime]:
    """``{None: t}`` (ungrouped) or ``{group: t}`` from ``OLDEST`` aggregations; groups
    without a value are left out."""
    aggs = response["aggregations"]
    if "first" in aggs:
        pairs = [(None, aggs["first"])]
    else:
        pairs = [(_key(b), b["first"]) for b in _buckets(aggs["groups"]) if _key(b) is not None]
    out = {}
    for key, first in pairs:
        hits = first["hits"]["hits"]
        if hits:
            out[key] = utc(datetime.fromisoformat(hits[0]["_source"]["published_at"]))
    return out


def histogram(interval: timedelta, group_by: str | None) -> dict:
    """Trend buckets. Grouped, the groups are the outer aggregation and each holds its own
    histogram: measured on one node at 200,000 reviews (30 days, hourly, by sentiment), 82 ms
    against 124 ms for a histogram with a terms aggregation in every hour, because the few
    groups are resolved once per document instead of once per hour bucket."""
    millis = interval // timedelta(milliseconds=1)
    if millis <= 0 or interval % timedelta(milliseconds=1):
        raise ValueError("trend interval must be a positive whole number of milliseconds")
    buckets = {"date_histogram": {"field": "published_at", "fixed_interval": f"{millis}ms",
                                  "min_doc_count": 1}}
    if group_by is None:
        return {"buckets": buckets}
    return {"groups": {**group_terms(group_by), "aggs": {"buckets": buckets}}}


def trend_points(response: dict, grouped: bool) -> list[TrendPoint]:
    """Points ascending by bucket, then by group key (None first), as before the groups
    became the outer aggregation."""
    aggs = response["aggregations"]
    if not grouped:
        return [TrendPoint(_start(b), None, b["doc_count"]) for b in aggs["buckets"]["buckets"]]
    points = [TrendPoint(_start(b), _key(group), b["doc_count"])
              for group in _buckets(aggs["groups"]) for b in group["buckets"]["buckets"]]
    points.sort(key=lambda p: (p.bucket, p.key is not None, p.key or ""))
    return points


def _start(bucket: dict) -> datetime:
    return datetime.fromtimestamp(bucket["key"] / 1000, tz=timezone.utc)

