"""Expected counts from history: an hour-of-day × day-of-week profile fitted on hourly counts.

``history(store, query, start, end, ...)`` reads the hourly counts (all and negative) of the
baseline period (``alerting.detect.hourly_counts``, which remembers settled hours) and keeps the
hours that count: from the first stored review on (a young store is not judged against empty
days) and outside declared calendar events (a 双11 rush is not the normal level).

``SeasonalProfile`` turns those hours into multiplicative weights, local hour of day times day
of week, each shrunk towards 1 by a pseudo-count so that a few days of history give a nearly
flat profile rather than a noisy one. A rate is then ``level × weight(t)``, and the count
expected over a period is ``level × profile.integral(start, end)`` (in weighted hours).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from alerting.detect.calendar import Calendar, Scope
from alerting.detect.hourly_counts import HOUR, hourly_counts
from models.store import ReviewQuery, ReviewStore

HOUR_PRIOR = 1.0   # hours of average data each hour-of-day weight starts from
DAY_PRIOR = 24.0   # hours of average data each day-of-week weight starts from


@dataclass(frozen=True)
class HourBucket:
    start: datetime
    covered: float            # hours of this bucket that count (partial at the edges)
    total: int                # reviews
    negative: int             # negative reviews


@dataclass(frozen=True)
class History:
    buckets: list[HourBucket]
    excluded_hours: int       # hours left out because a calendar event ran

    def total(self) -> int:
        return sum(b.total for b in self.buckets)

    def negatives(self) -> int:
        return sum(b.negative for b in self.buckets)

    @property
    def covered_hours(self) -> float:
        return sum(b.covered for b in self.buckets)


def floor_hour(at: datetime) -> datetime:
    return at - timedelta(minutes=at.minute, seconds=at.second, microseconds=at.microsecond)


def history(store: ReviewStore, query: ReviewQuery, start: datetime, end: datetime,
            calendar: Calendar = Calendar(), scope: Scope = Scope()) -> History:
    """Hourly counts by sentiment of ``query`` over ``[start, end)`` (see the module)."""
    span = replace(query, sentiments=(), q=None, start=start, end=end)
    counts = hourly_counts(store, span)
    seen = [hour for hour, (total, _) in counts.items() if total]
    if not seen:
        return History([], 0)
    # The first review's exact time, looked up within its hour only (the hour is known from
    # the counts, so the probe never walks the days before it).
    first_hour = min(seen)
    oldest = store.iter_reviews(replace(span, start=max(first_hour, start),
                                        end=min(first_hour + HOUR, end)), batch_size=1)
    try:
        review = next(oldest, None)
    finally:
        oldest.close()
    # None only when remembered counts are stale (see ``alerting.detect.hourly_counts``)
    first = review.published_at if review is not None else first_hour
    buckets, excluded = [], 0
    hour = floor_hour(first)
    while hour < end:
        lo, hi = max(hour, first, start), min(hour + HOUR, end)
        if calendar.excluded(hour, hour + HOUR, scope):
            excluded += 1
        elif hi > lo:
            buckets.append(HourBucket(hour, (hi - lo) / HOUR, *counts.get(hour, (0, 0))))
        hour += HOUR
    return History(buckets, excluded)


class SeasonalProfile:
    """Hour-of-day × day-of-week weights in ``timezone``; ``fit`` returns self. Unfitted
    (or ``seasonal=False``) it is flat: every weight is 1."""

    def __init__(self, timezone: str = "Asia/Shanghai", seasonal: bool = True):
        self.timezone = ZoneInfo(timezone)
        self.seasonal = seasonal
        self.hour_ = [1.0] * 24
        self.day_ = [1.0] * 7
        self._weights: dict[datetime, float] = {}

    def fit(self, buckets: list[HourBucket]) -> "SeasonalProfile":
        covered = sum(b.covered for b in buckets)
        total = sum(b.total for b in buckets)
        if not self.seasonal or covered <= 0 or total <= 0:
            return self
        mean = total / covered
        by_hour_n, by_hour_c = [0.0] * 24, [0.0] * 24
        for b in buckets:
            h = self._local(b.start).hour
            by_hour_n[h] += b.total
            by_hour_c[h] += b.covered
        self.hour_ = [(n + HOUR_PRIOR * mean) / ((c + HOUR_PRIOR) * mean)
                      for n, c in zip(by_hour_n, by_hour_c)]
        by_day_n, by_day_c = [0.0] * 7, [0.0] * 7
        for b in buckets:
            local = self._local(b.start)
            by_day_n[local.weekday()] += b.total / self.hour_[local.hour]
            by_day_c[local.weekday()] += b.covered
        self.day_ = [(n + DAY_PRIOR * mean) / ((c + DAY_PRIOR) * mean)
                     for n, c in zip(by_day_n, by_day_c)]
        return self

    def weight(self, at: datetime) -> float:
        local = self._local(at)
        return self.hour_[local.hour] * self.day_[local.weekday()]

    def _bucket_weight(self, at: datetime) -> float:
        # hour starts recur at every tick: remember their weights (fitting resets them)
        weight = self._weights.get(at)
        if weight is None:
            weight = self._weights[at] = self.weight(at)
        return weight

    def integral(self, start: datetime, end: datetime) -> float:
        """Weighted hours in ``[start, end)``, hour piece by hour piece."""
        total, at = 0.0, start
        while at < end:
            step_end = min(floor_hour(at) + HOUR, end)
            total += (step_end - at) / HOUR * self.weight(at)
            at = step_end
        return total

    def weighted_hours(self, buckets: list[HourBucket]) -> float:
        return sum(b.covered * self._bucket_weight(b.start) for b in buckets)

    def _local(self, at: datetime) -> datetime:
        return at.astimezone(self.timezone)


def rate_level(count: float, profile: SeasonalProfile, buckets: list[HourBucket],
               at_least: float) -> float:
    """Reviews per weighted hour; the weighted hours are never fewer than ``at_least`` (one
    window), so minutes of history cannot make a rate explode."""
    return count / max(profile.weighted_hours(buckets), at_least)
