"""Hourly review counts (all, negative) for baselines, with settled hours remembered.

A baseline reads days of hourly counts at every detection tick, and all but the last few
hours are the same as at the previous tick. ``hourly_counts`` keeps the counts of *settled*
hours (whole hours ending more than ``SETTLED`` ago) per store file and filters, and asks the
store only for the rest: the partial first hour, hours not seen yet, and recent hours.

Reviews can still arrive for settled hours (a slow forum crawl, ``koubei import`` of an old
export). Each call reads the store's feed since the previous call: the settled hours those
reviews were published in are counted again; past ``FEED_LIMIT`` new reviews the whole entry
is dropped and rebuilt. (A stored review whose publication time changes leaves its old hour
counted until then.)
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from models.store import Aggregation, ReviewQuery, ReviewStore
from models.store.grouped import cache_identity

HOUR = timedelta(hours=1)
SETTLED = timedelta(hours=6)
NEGATIVE = ("negative",)
Counts = dict[datetime, tuple[int, int]]  # hour start -> (reviews, negative reviews)


FEED_LIMIT = 1000


@dataclass
class _Settled:
    start: datetime          # counts known for whole hours in [start, end)
    end: datetime
    cursor: str              # the store's feed head when they were counted
    counts: Counts = field(default_factory=dict)


_cache: dict[tuple, _Settled] = {}
_lock = threading.Lock()


def hourly_counts(store: ReviewStore, span: ReviewQuery) -> Counts:
    """Counts per UTC hour bucket of ``span`` (``start``/``end`` required; the first and
    last buckets may be partial, as in ``ReviewStore.trend``)."""
    start, end = span.start, span.end
    first_whole = _ceil_hour(start)
    settled_end = _floor_hour(end - SETTLED)
    if settled_end <= first_whole:
        return _query(store, span, start, end)
    key = (cache_identity(store), replace(span, start=None, end=None))  # every filter
    with _lock:
        entry = _cache.get(key)
        if entry is not None:
            entry = _catch_up(store, span, entry)
        if entry is None or entry.start > first_whole or entry.end < first_whole:
            entry = _Settled(first_whole, first_whole, store.feed(limit=0).cursor)
        if settled_end > entry.end:
            entry.counts.update(_query(store, span, entry.end, settled_end))
            entry.end = settled_end
        for hour in [h for h in entry.counts if h < first_whole]:  # bounded memory
            del entry.counts[hour]
        entry.start = first_whole
        _cache[key] = entry
        counts = {h: n for h, n in entry.counts.items() if h < settled_end}
    if start < first_whole:
        counts.update(_query(store, span, start, first_whole))
    counts.update(_query(store, span, max(settled_end, start), end))
    return counts


def _catch_up(store: ReviewStore, span: ReviewQuery, entry: _Settled) -> _Settled | None:
    """Recount the settled hours that reviews ingested since ``entry.cursor`` belong to;
    None when too many arrived to tell (the caller starts afresh)."""
    page = store.feed(cursor=entry.cursor, limit=FEED_LIMIT)
    if len(page.reviews) >= FEED_LIMIT:
        return None
    hours = {_floor_hour(r.published_at) for r in page.reviews}
    for hour in sorted(h for h in hours if entry.start <= h < entry.end):
        entry.counts.pop(hour, None)
        entry.counts.update(_query(store, span, hour, hour + HOUR))
    entry.cursor = page.cursor
    return entry


def _query(store: ReviewStore, span: ReviewQuery, start: datetime, end: datetime) -> Counts:
    if end <= start:
        return {}
    # Two ungrouped trends rather than one grouped by sentiment: on SQLite each is answered
    # from an index alone, without reading the reviews (several times faster); asked
    # together, they are one round trip to Elasticsearch.
    window = replace(span, start=start, end=end)
    all_points, negative_points = store.aggregate([
        Aggregation("trend", window, (HOUR,)),
        Aggregation("trend", replace(window, sentiments=NEGATIVE), (HOUR,))])
    negatives = {p.bucket: p.count for p in negative_points}
    return {p.bucket: (p.count, negatives.get(p.bucket, 0)) for p in all_points}


def _floor_hour(at: datetime) -> datetime:
    return at - timedelta(minutes=at.minute, seconds=at.second, microseconds=at.microsecond)


def _ceil_hour(at: datetime) -> datetime:
    floor = _floor_hour(at)
    return floor if floor == at else floor + HOUR
