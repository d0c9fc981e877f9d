"""Expected counts from history: an hour-of-day × day-of-week profile fitted on hourly counts.

``history(store, query, start, end, ...)`` reads the hourly counts (all and negative) of the
baseline period (``alerting.detect.hourly_counts``, which remembers settled hours) and keeps the
hours that count: from the first stored review on (a young store is not judged against empty
days) and outside declared calendar events (a 双11 rush is not the normal level).

``SeasonalProfile`` turns those hours into multiplicative weights, local hour of day times day
of week, each shrunk towards 1 by a pseudo-count so that a few days of history give a nearly
flat profile rather than a noisy one. A rate is then ``level × weight(t)``, and the count
expected over a period is ``level × profile.integral(start, end)`` (in weighted hours).

A replay reads a ``SnapshotStore``, which never changes: there ``history`` slices the hours
out of one list of buckets per combination of filters (``SnapshotStore.hourly``) and counts
only the partial edge hours, and remembers each answer for the rules of the tick that ask
again. A fit is remembered for the bucket list it was given, and the local hour of day and
weekday of consecutive hours for their first hour and length.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np

from alerting.detect.calendar import Calendar, Scope
from alerting.detect.hourly_counts import HOUR, hourly_counts
from models.store import ReviewQuery, ReviewStore

HOUR_PRIOR = 1.0   # hours of average data each hour-of-day weight starts from
DAY_PRIOR = 24.0   # hours of average data each day-of-week weight starts from


class HourBucket(NamedTuple):  # a tuple: a baseline builds a week of them per group and tick
    start: datetime
    covered: float            # hours of this bucket that count (partial at the edges)
    total: int                # reviews
    negative: int             # negative reviews


@dataclass(frozen=True)
class History:
    buckets: list[HourBucket]
    excluded_hours: int       # hours left out because a calendar event ran

    def total(self) -> int:
        return self._sums[0]

    def negatives(self) -> int:
        return self._sums[1]

    @cached_property
    def _sums(self) -> tuple[int, int]:
        # rules ask again and again within a tick; the buckets never change
        return sum(b.total for b in self.buckets), sum(b.negative for b in self.buckets)

    @property
    def covered_hours(self) -> float:
        return sum(b.covered for b in self.buckets)


def floor_hour(at: datetime) -> datetime:
    return at - timedelta(minutes=at.minute, seconds=at.second, microseconds=at.microsecond)


def history(store: ReviewStore, query: ReviewQuery, start: datetime, end: datetime,
            calendar: Calendar = Calendar(), scope: Scope = Scope()) -> History:
    """Hourly counts by sentiment of ``query`` over ``[start, end)`` (see the module).
    A store that never changes (a replay's ``SnapshotStore``) remembers the answer: the
    rules of a tick ask for the same group's baseline over the same hours one after the
    other. The buckets are then shared: callers must not change them."""
    span = replace(query, sentiments=(), q=None, start=start, end=end)
    remembered = getattr(store, "remembered", None)
    if remembered is not None:
        return remembered(("history", span, calendar, scope),
                          lambda: _snapshot_history(store, span, start, end, calendar, scope)
                          or _history(store, span, start, end, calendar, scope))
    return _history(store, span, start, end, calendar, scope)


def _snapshot_history(store, span: ReviewQuery, start: datetime, end: datetime,
                      calendar: Calendar, scope: Scope) -> History | None:
    """``_history`` from a snapshot's hourly counts (``SnapshotStore.hourly``): the whole
    hours are a slice of one list of buckets built once per combination of filters, the two
    edges counted from the reviews' times; the same buckets as ``_history`` builds from the
    store's reads. None when the snapshot cannot answer or an event runs in the period
    (``_history`` then reads as usual)."""
    hourly = store.hourly(span)
    if hourly is None or start < store.start or end > store.end:
        return None
    first_review = hourly.first(start, end)
    if first_review is None:
        return History([], 0)
    first = first_review.published_at
    hour = floor_hour(first)
    if calendar.covering(hour, end, scope):
        return None
    whole = store.remembered(("hour-buckets", id(hourly)), lambda: (hourly, [
        HourBucket(hourly.start + HOUR * k, 1.0, total, negative)
        for k, (total, negative) in enumerate(zip(hourly.totals, hourly.negatives))]))[1]
    begin = max(first, start)
    k0 = (hour - hourly.start) // HOUR
    n = -(-(end - hour) // HOUR)
    buckets = whole[k0:k0 + n]
    for i in {0, n - 1}:
        h = buckets[i].start
        after = h + HOUR
        covered = (min(after, end) - max(h, begin)) / HOUR
        if covered != 1.0:
            buckets[i] = HourBucket(h, covered, *hourly.count(max(h, start), min(after, end)))
    return History(buckets, 0)


def _history(store: ReviewStore, span: ReviewQuery, start: datetime, end: datetime,
             calendar: Calendar, scope: Scope) -> History:
    counts = hourly_counts(store, span)
    seen = [hour for hour, (total, _) in counts.items() if total]
    if not seen:
        return History([], 0)
    first = first_review(store, span, min(seen))
    buckets, excluded = [], 0
    hour = floor_hour(first)
    # the events of the period, once: each hour is then checked against those few
    events = Calendar(calendar.covering(hour, end, scope))
    begin = max(first, start)
    if not events.events:
        return History(_buckets(hour, begin, end, counts), 0)
    while hour < end:
        after = hour + HOUR
        if events.events and events.excluded(hour, after, scope):
            excluded += 1
        elif hour >= begin and after <= end:  # a whole hour (all but the edges)
            buckets.append(HourBucket(hour, 1.0, *counts.get(hour, (0, 0))))
        else:
            lo, hi = max(hour, begin), min(after, end)
            if hi > lo:
                buckets.append(HourBucket(hour, (hi - lo) / HOUR, *counts.get(hour, (0, 0))))
        hour = after
    return History(buckets, excluded)


_NONE = (0, 0)


def _buckets(hour: datetime, begin: datetime, end: datetime,
             counts: dict[datetime, tuple[int, int]]) -> list[HourBucket]:
    """The buckets of the hours from ``hour`` to ``end`` with no event: every hour whole
    but the first (from ``begin``, which lies in it) and the last (to ``end``) -- the loop
    of ``history`` in one comprehension, since every rule builds a week of them per group
    at every tick."""
    starts = _hour_starts(hour, end)
    get = counts.get
    buckets = [HourBucket(h, 1.0, *get(h, _NONE)) for h in starts]
    for i in {0, len(starts) - 1}:
        h = starts[i]
        covered = (min(h + HOUR, end) - max(h, begin)) / HOUR
        if covered != 1.0:
            buckets[i] = HourBucket(h, covered, *get(h, _NONE))
    return buckets


_STARTS: dict[tuple[datetime, int], list[datetime]] = {}


def _hour_starts(hour: datetime, end: datetime) -> list[datetime]:
    """The hour starts from ``hour`` (on the hour) while before ``end`` (remembered: the
    ticks of one hour ask for the same ones)."""
    n = -(-(end - hour) // HOUR)
    found = _STARTS.get((hour, n))
    if found is None:
        if len(_STARTS) > 256:
            _STARTS.clear()
        found = _STARTS[(hour, n)] = [hour + HOUR * k for k in range(n)]
    return found


def first_review(store: ReviewStore, span: ReviewQuery, first_hour: datetime) -> datetime:
    """The time of the first review of ``span`` within ``first_hour`` (the first hour its
    counts hold reviews in), or the hour itself when none is there: remembered counts can be
    stale (see ``alerting.detect.hourly_counts``). Asked of the whole span, so that every
    group's question is the same (``models.store.grouped`` answers them all at once); only
    when the span's first review lies before that hour, which stale counts also allow, is
    the hour looked up on its own."""
    first = store.first_published(span).get(None)
    if first is not None and first < first_hour:
        first = store.first_published(replace(span, start=max(first_hour, span.start),
                                              end=min(first_hour + HOUR, span.end))).get(None)
    if first is None or first >= first_hour + HOUR:
        return first_hour
    return first


class SeasonalProfile:
    """Hour-of-day × day-of-week weights in ``timezone``; ``fit`` returns self. Unfitted
    (or ``seasonal=False``) it is flat: every weight is 1.

    ``hour_prior_reviews``: the hour-of-day prior as a number of reviews rather than
    ``HOUR_PRIOR`` hours (never more than those): a busy group's hours then speak for
    themselves. At 1,000 reviews a day an hour of average data is 40 pseudo-reviews, which
    took a 03:00 weight of 0.1 to 0.2 and made every night look half dead to a rule judging
    falls (``source_silent``)."""

    def __init__(self, timezone: str = "Asia/Shanghai", seasonal: bool = True,
                 hour_prior_reviews: float | None = None):
        self.timezone = ZoneInfo(timezone)
        self.seasonal = seasonal
        self.hour_prior_reviews = hour_prior_reviews
        self.hour_ = [1.0] * 24
        self.day_ = [1.0] * 7
        self._weights: dict[datetime, float] = {}
        self._weighted: tuple | None = None  # (key, weighted hours, the buckets kept alive)
        self._columns: tuple | None = None   # (key, arrays, the buckets kept alive)

    def fit(self, buckets: list[HourBucket]) -> "SeasonalProfile":
        """Fit on ``buckets``; the weights of the last ``FITS_LIMIT`` lists fitted are
        remembered by identity (a replay's ``history`` hands the same list to every rule of
        a tick), so the lists must not change once fitted."""
        self._weights, self._weighted = {}, None
        key = (id(buckets), len(buckets), self.timezone.key, self.seasonal,
               self.hour_prior_reviews)
        found = _FITS.get(key)
        if found is not None and found[0] is buckets:
            _, hour_, day_, self._columns = found
            self.hour_, self.day_ = list(hour_), list(day_)
            return self
        self._fit(buckets)
        if len(_FITS) >= FITS_LIMIT:
            _FITS.pop(next(iter(_FITS)), None)
        _FITS[key] = (buckets, tuple(self.hour_), tuple(self.day_), self._columns)
        return self

    def _fit(self, buckets: list[HourBucket]) -> None:
        hours, days, covered_h, totals = self.columns(buckets)
        covered, total = float(covered_h.sum()), float(totals.sum())
        if not self.seasonal or covered <= 0 or total <= 0:
            return
        mean = total / covered
        by_hour_n = np.bincount(hours, weights=totals, minlength=24)
        by_hour_c = np.bincount(hours, weights=covered_h, minlength=24)
        prior = HOUR_PRIOR if self.hour_prior_reviews is None else min(
            HOUR_PRIOR, self.hour_prior_reviews / mean)
        hour_ = (by_hour_n + prior * mean) / ((by_hour_c + prior) * mean)
        by_day_n = np.bincount(days, weights=totals / hour_[hours], minlength=7)
        by_day_c = np.bincount(days, weights=covered_h, minlength=7)
        self.hour_ = hour_.tolist()
        self.day_ = ((by_day_n + DAY_PRIOR * mean) / ((by_day_c + DAY_PRIOR) * mean)).tolist()

    def columns(self, buckets: list[HourBucket]) -> tuple[np.ndarray, ...]:
        """``buckets`` as arrays: local hour of day, day of week, covered hours, reviews
        (remembered for the last list asked about: a tick asks several times)."""
        key = (id(buckets), len(buckets))
        if self._columns is None or self._columns[0] != key:
            local = self._local_columns(buckets)
            self._columns = (key, (local[:, 0], local[:, 1],
                                   np.array([b.covered for b in buckets], dtype=float),
                                   np.array([b.total for b in buckets], dtype=float)), buckets)
        return self._columns[1]

    def _local_columns(self, buckets: list[HourBucket]) -> np.ndarray:
        """Local hour of day and day of week of each bucket (rows); for consecutive hours
        (every history without an event: buckets start on the hour, one after another)
        remembered by timezone, first hour and length, which the rules' groups and the
        ticks of one hour share."""
        n = len(buckets)
        key = None
        if n and buckets[-1].start - buckets[0].start == HOUR * (n - 1):
            key = (self.timezone.key, buckets[0].start, n)
            found = _LOCAL.get(key)
            if found is not None:
                return found
        local = np.array([self._hour_day(b.start) for b in buckets],
                         dtype=np.int64).reshape(-1, 2)
        if key is not None:
            local.flags.writeable = False  # shared
            if len(_LOCAL) >= LOCAL_LIMIT:
                _LOCAL.pop(next(iter(_LOCAL)), None)
            _LOCAL[key] = local
        return local

    def bucket_weights(self, buckets: list[HourBucket]) -> np.ndarray:
        """The weight of each bucket's hour."""
        hours, days, _, _ = self.columns(buckets)
        return np.asarray(self.hour_)[hours] * np.asarray(self.day_)[days]

    def weight(self, at: datetime) -> float:
        hour, day = self._hour_day(at)
        return self.hour_[hour] * self.day_[day]

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
        key = (id(buckets), len(buckets))  # asked once per window of a tick: remembered
        if self._weighted is None or self._weighted[0] != key:
            covered = self.columns(buckets)[2]
            self._weighted = (key, float(np.dot(covered, self.bucket_weights(buckets))),
                              buckets)
        return self._weighted[1]

    def _local(self, at: datetime) -> datetime:
        return at.astimezone(self.timezone)

    def _hour_day(self, at: datetime) -> tuple[int, int]:
        """Local hour of day and day of week of ``at``; remembered: every baseline of every
        tick asks about the same hours again, and the rules of a tick about its windows'
        starts."""
        key = (self.timezone.key, at)
        found = _HOUR_DAY.get(key)
        if found is None:
            local = self._local(at)
            found = (local.hour, local.weekday())
            if len(_HOUR_DAY) > 200_000:
                _HOUR_DAY.clear()
            _HOUR_DAY[key] = found
        return found


_HOUR_DAY: dict[tuple[str, datetime], tuple[int, int]] = {}
FITS_LIMIT = 64
LOCAL_LIMIT = 256
# (timezone, first hour, hours) of consecutive hours -> their local (hour, weekday) rows
_LOCAL: dict[tuple, np.ndarray] = {}
# (id, length, timezone, seasonal) of a bucket list -> (the list, hour_, day_, columns)
_FITS: dict[tuple, tuple] = {}


def rate_level(count: float, profile: SeasonalProfile, buckets: list[HourBucket],
               at_least: float) -> float:
    """Reviews per weighted hour; the weighted hours are never fewer than ``at_least`` (one
    window), so minutes of history cannot make a rate explode."""
    return count / max(profile.weighted_hours(buckets), at_least)
