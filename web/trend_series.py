"""Review counts per time bucket, with the negative share and net sentiment of each bucket.

Buckets follow the wall clock of the config timezone: hours start on the local hour and days
at local midnight, whatever the offset. The store is asked for the largest buckets that fold
exactly into the local ones (``store_step``): local days themselves where the zone keeps one
offset over the range (Asia/Shanghai: a day from 16:00 UTC), hours (or less, for an offset that
is not a whole hour) across a daylight-saving change; the folding happens here. Empty buckets
are kept with zeros.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta, timezone, tzinfo
from typing import Any, Callable

from models.store import ReviewQuery, TrendPoint

# Reads a trend: (query, bucket step, group field, bucket offset) → points, as the store's
# ``trend``.
TrendReader = Callable[[ReviewQuery, timedelta, str, timedelta], list[TrendPoint]]

RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30),
          "90d": timedelta(days=90)}
DEFAULT_INTERVAL = {"24h": "hour", "7d": "day", "30d": "day", "90d": "day"}
INTERVALS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
MAX_BUCKETS = 800  # an hourly series of a longer custom range is counted by day instead
MIN_RATIO_VOLUME = 5  # a bucket with fewer reviews has no ratio point (it would jump ±100%)
GROUPS = ("sentiment", "source", "entity", "topic")
SENTIMENT_ORDER = ("negative", "neutral", "positive")
NONE_KEY = "_none"  # reviews without a value for the grouped field (e.g. not yet analysed)



def negative_share(sentiments: dict[str, int]) -> float | None:
    """Negative reviews over all counted; None when nothing was counted."""
    total = sum(sentiments.values())
    return sentiments.get("negative", 0) / total if total else None


def net_sentiment(sentiments: dict[str, int]) -> float | None:
    """(positive − negative) / total, in [-1, 1]; None when nothing was counted."""
    total = sum(sentiments.values())
    return (sentiments.get("positive", 0) - sentiments.get("negative", 0)) / total if total else None

@dataclass
class TrendBucket:
    start: datetime  # UTC, inclusive
    end: datetime    # UTC, exclusive
    counts: dict[str, int] = field(default_factory=dict)      # by the series' group_by
    sentiments: dict[str, int] = field(default_factory=dict)  # always by sentiment

    @property
    def total(self) -> int:
        return sum(self.sentiments.values())

    @property
    def sparse(self) -> bool:
        """Too few reviews for its ratios to mean much (drawn hollow or left out)."""
        return self.total < MIN_RATIO_VOLUME

    @property
    def negative_share(self) -> float | None:
        return negative_share(self.sentiments)

    @property
    def net_sentiment(self) -> float | None:
        return net_sentiment(self.sentiments)


@dataclass
class TrendSeries:
    range: str
    interval: str
    group_by: str
    tz: tzinfo
    buckets: list[TrendBucket]

    @property
    def keys(self) -> list[str]:
        seen = {key for bucket in self.buckets for key in bucket.counts}
        if self.group_by == "sentiment":
            return [k for k in SENTIMENT_ORDER if k in seen] + sorted(seen - set(SENTIMENT_ORDER))
        return sorted(seen)

    def to_dict(self) -> dict[str, Any]:
        return {
            "range": self.range, "interval": self.interval, "group_by": self.group_by,
            "timezone": str(self.tz), "start": self.buckets[0].start.isoformat(),
            "end": self.buckets[-1].end.isoformat(), "keys": self.keys,
            "min_ratio_volume": MIN_RATIO_VOLUME,
            "buckets": [{"start": b.start.isoformat(), "end": b.end.isoformat(),
                         "local_start": b.start.astimezone(self.tz).isoformat(),
                         "total": b.total, "counts": b.counts, "sentiment": b.sentiments,
                         "negative_share": b.negative_share, "net_sentiment": b.net_sentiment,
                         "sparse": b.sparse}
                        for b in self.buckets],
        }


def bucket_edges(range_name: str, interval: str, now: datetime, tz: tzinfo) -> list[datetime]:
    """The UTC edges of the buckets covering ``range_name`` up to and including the bucket
    that holds ``now`` (so the last bucket is still filling)."""
    count = max(1, RANGES[range_name] // INTERVALS[interval])
    local_now = now.astimezone(tz)
    if interval == "hour":
        head = local_now.replace(minute=0, second=0, microsecond=0).astimezone(timezone.utc)
        return [head + timedelta(hours=i) for i in range(1 - count, 2)]
    today = local_now.date()
    return [datetime.combine(today + timedelta(days=i), time(), tz).astimezone(timezone.utc)
            for i in range(1 - count, 2)]


def edges_between(start: datetime, end: datetime, interval: str,
                  tz: tzinfo) -> list[datetime]:
    """The UTC edges of the local hours or days covering ``[start, end)``: the first starts
    at or before ``start``, the last ends at or after ``end``. ``InvalidParameter``-free:
    the caller bounds the range (``MAX_BUCKETS``)."""
    local = start.astimezone(tz)
    if interval == "hour":
        first = local.replace(minute=0, second=0, microsecond=0).astimezone(timezone.utc)
        edges = [first]
        while edges[-1] < end:
            edges.append(edges[-1] + timedelta(hours=1))
        return edges if len(edges) > 1 else edges + [first + timedelta(hours=1)]
    day = local.date()
    edges = [datetime.combine(day, time(), tz).astimezone(timezone.utc)]
    while edges[-1] < end or len(edges) < 2:
        day += timedelta(days=1)
        edges.append(datetime.combine(day, time(), tz).astimezone(timezone.utc))
    return edges


def bucket_count(start: datetime, end: datetime, interval: str) -> int:
    return -(-(end - start) // INTERVALS[interval])


def store_step(edges: list[datetime]) -> tuple[timedelta, timedelta]:
    """``(interval, offset)`` of the largest store buckets (``ReviewStore.trend``) that fold
    exactly into the buckets between ``edges``: the interval is the greatest common divisor
    of the buckets' lengths (a day for the days of a zone that keeps one offset, an hour when
    a 23- or 25-hour day is among them) and the offset puts a bucket start on the first
    edge."""
    seconds = 0
    for start, end in zip(edges, edges[1:]):
        seconds = math.gcd(seconds, int((end - start).total_seconds()))
    step = timedelta(seconds=seconds or 3600)
    return step, (edges[0] - datetime(1970, 1, 1, tzinfo=timezone.utc)) % step


def build_series(query: ReviewQuery, range_name: str, interval: str, group_by: str,
                 now: datetime, tz: tzinfo, trend: TrendReader) -> TrendSeries:
    """The series of ``range_name`` ending at ``now``, read through ``trend`` (the web's
    scoped reads, so this module needs no request)."""
    return series_over(query, bucket_edges(range_name, interval, now, tz), range_name,
                       interval, group_by, tz, trend)


def series_over(query: ReviewQuery, edges: list[datetime], range_name: str, interval: str,
                group_by: str, tz: tzinfo, trend: TrendReader,
                sentiments: bool = True) -> TrendSeries:
    """The series of the buckets between ``edges`` (``range_name`` is only reported);
    ``query.start``/``end``, when set, cut the first and last bucket short. Without
    ``sentiments`` only the ``group_by`` counts are read (the buckets' totals stay 0)."""
    windowed = replace(query, start=max(edges[0], query.start or edges[0]),
                       end=min(edges[-1], query.end or edges[-1]))
    step, offset = store_step(edges)
    buckets = [TrendBucket(start, end) for start, end in zip(edges, edges[1:])]
    by_sentiment = trend(windowed, step, "sentiment", offset) if sentiments or \
        group_by == "sentiment" else []
    fold(by_sentiment, buckets, "sentiments")
    fold(by_sentiment if group_by == "sentiment" else
         trend(windowed, step, group_by, offset), buckets, "counts")
    return TrendSeries(range_name, interval, group_by, tz, buckets)


def fold(points: list[TrendPoint], buckets: list[TrendBucket], attribute: str) -> None:
    starts = [bucket.start for bucket in buckets]
    for point in points:
        index = bisect.bisect_right(starts, point.bucket) - 1
        if 0 <= index < len(buckets) and point.bucket < buckets[index].end:
            tally = getattr(buckets[index], attribute)
            key = NONE_KEY if point.key is None else str(point.key)
            tally[key] = tally.get(key, 0) + point.count
