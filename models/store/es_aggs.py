"""Aggregation bodies and their parsing: grouped counts, date-histogram trends and significant
terms. Functions only build dicts and read responses; the store sends the requests."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.store.base import GROUP_FIELDS, TrendPoint
from models.store.es_mapping import GROUP_KEYS, SCALAR_GROUPS

MAX_GROUPS = 10_000
_MISSING = "\x00none"  # bucket key for a review without a value (never a real value)


def group_terms(group_by: str) -> dict:
    if group_by not in GROUP_FIELDS:
        raise ValueError(f"cannot group by {group_by!r}; expected one of {GROUP_FIELDS}")
    terms = {"field": GROUP_KEYS[group_by], "size": MAX_GROUPS}
    if group_by in SCALAR_GROUPS:
        terms["missing"] = _MISSING
    return {"terms": terms}


def _key(bucket: dict) -> str | None:
    return None if bucket["key"] == _MISSING else bucket["key"]


def grouped_counts(response: dict) -> dict[str | None, int]:
    return {_key(b): b["doc_count"] for b in response["aggregations"]["groups"]["buckets"]}


def histogram(interval: timedelta, group_by: str | None) -> dict:
    millis = interval // timedelta(milliseconds=1)
    if millis <= 0 or interval % timedelta(milliseconds=1):
        raise ValueError("trend interval must be a positive whole number of milliseconds")
    agg: dict = {"date_histogram": {"field": "published_at", "fixed_interval": f"{millis}ms",
                                    "min_doc_count": 1}}
    if group_by is not None:
        agg["aggs"] = {"groups": group_terms(group_by)}
    return {"buckets": agg}


def trend_points(response: dict, grouped: bool) -> list[TrendPoint]:
    points = []
    for bucket in response["aggregations"]["buckets"]["buckets"]:
        start = datetime.fromtimestamp(bucket["key"] / 1000, tz=timezone.utc)
        if not grouped:
            points.append(TrendPoint(start, None, bucket["doc_count"]))
            continue
        for group in sorted(bucket["groups"]["buckets"], key=lambda g: str(g["key"])):
            points.append(TrendPoint(start, _key(group), group["doc_count"]))
    return points


def significant(background: dict, size: int) -> dict:
    return {"words": {"significant_terms": {"field": "tokens.raw", "size": size,
                                            "background_filter": background,
                                            "min_doc_count": 1}}}


def significant_words(response: dict) -> list[tuple[str, int, int, float]]:
    return [(b["key"], b["doc_count"], b["bg_count"], b["score"])
            for b in response["aggregations"]["words"]["buckets"]]
