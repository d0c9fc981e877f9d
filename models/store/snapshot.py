"""A read-only, in-memory copy of the reviews published in one period, for replays.

A backtest evaluates every rule at every tick, and each evaluation asks the store for a dozen
counts, trends and samples: thousands of ticks made a replay of a few days take minutes, most
of it in SQLite (or in round trips to Elasticsearch). ``SnapshotStore`` reads the period
``[start, end)`` of a store once (``iter_reviews``) and answers the ``ReviewStore`` reads from
memory: each combination of filters is turned once into the sorted positions of the reviews
it matches (numpy arrays, kept while the replay runs), and a count, trend or sample over a
time range is a binary search and a ``bincount`` on them.

The answers are those of the backing store over the period: the same filters, the same
grouping rules (a multi-valued field counts a review once per distinct value, ratings by
``rating_key``), the same order (newest first for ``search``, oldest first for
``iter_reviews``, ties by id). Reads outside the period see nothing. A read whose query sets
a field the snapshot does not hold (``HELD``: full text ``q``, or one added to ``ReviewQuery``
later) and every ``cross_count`` are passed to the backing store with their period clamped to
the snapshot's. Nothing is ingested into a snapshot: ``feed`` never has anything new and
``upsert`` refuses. The reviews returned are shared between reads: callers must not change
them.

Since a snapshot never changes, what is computed from its reads stays true while it lives:
``remembered(key, compute)`` keeps such results (a replay's rules ask for the same baseline
of a group several times a tick; ``alerting.detect.baselines.history``), the
``MEMO_LIMIT`` most recently used. ``hourly(query)`` gives the reviews per UTC hour of a
combination of filters over the whole period, all and negative (``HourlyCounts``), from
which a baseline's hours are a slice rather than a read.
"""
from __future__ import annotations

import dataclasses
import itertools
from bisect import bisect_left
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from operator import attrgetter
from typing import Any, Callable, Hashable, Iterable, Iterator

import numpy as np

from models.review import Review
from models.store.base import (
    ReviewPage,
    ReviewQuery,
    ReviewStore,
    StoreStats,
    TrendPoint,
    UpsertResult,
    aspect_key,
    bucket_steps,
    group_field,
    rating_key,
)

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
SCALARS = ("source", "sentiment", "platform", "rating")
MULTI = {"entity": "entities", "topic": "topics", "aspect": "aspects", "keyword": "keywords"}
FILTERS = {"sources": "source", "sentiments": "sentiment", "entities": "entity",
           "topics": "topic", "aspects": "aspect", "keywords": "keyword"}
# the ReviewQuery fields a cached selection is made of (``_matching``), and those answered
# from memory (the selection cut to a window); a query setting any other is passed on
SELECTION = (*FILTERS, "min_reach")
HELD = frozenset({*SELECTION, "start", "end"})
# a replay asks hundreds of thousands of reads: their fields are read in C
_SELECTION_OF = attrgetter(*SELECTION)
_OTHERS = tuple((f.name, f.default) for f in dataclasses.fields(ReviewQuery)
                if f.name not in HELD)
_OTHERS_OF = attrgetter(*(name for name, _ in _OTHERS), "start")  # a tuple however many
_OTHER_DEFAULTS = tuple(default for _, default in _OTHERS)
CACHE_LIMIT = 4096  # filter combinations remembered (a replay uses a few dozen)
MEMO_LIMIT = 256    # results of ``remembered`` kept (a replay's tick asks for a dozen)
HOUR = timedelta(hours=1)
HOUR_US = HOUR // timedelta(microseconds=1)
_serial = itertools.count(1)


def micros(value: datetime) -> int:
    return (value - EPOCH) // timedelta(microseconds=1)


def _values(review: Review, field: str) -> list:
    """The distinct values of ``field`` of ``review``, as the stores index them."""
    if field == "source":
        return [review.source]
    if field == "platform":
        return [review.platform]
    if field == "sentiment":
        return [review.sentiment.label if review.sentiment else None]
    if field == "rating":
        return [rating_key(review.rating)]
    if field == "aspect":
        return list(dict.fromkeys(aspect_key(t, p) for t, p in review.aspects))
    return list(dict.fromkeys(getattr(review, MULTI[field])))


def _runs(values: np.ndarray) -> tuple[list[int], list[int]]:
    """The distinct values of the ascending ``values`` and how often each occurs (what
    ``np.unique(..., return_counts=True)`` gives, without sorting what is sorted)."""
    if not len(values):
        return [], []
    starts = np.flatnonzero(np.diff(values)) + 1
    bounds = [0, *starts.tolist(), len(values)]
    return values[bounds[:-1]].tolist(), np.diff(bounds).tolist()


class _Field:
    """One field's values as integer codes: one per review (scalar) or one row per review
    and distinct value (multi-valued, rows in review order)."""

    def __init__(self, reviews: list[Review], field: str):
        self.names: list = []
        index: dict = {}
        owners, codes = [], []
        for i, review in enumerate(reviews):
            for value in _values(review, field):
                code = index.get(value)
                if code is None:
                    code = index[value] = len(self.names)
                    self.names.append(value)
                owners.append(i)
                codes.append(code)
        self.index = index
        self.owners = np.asarray(owners, dtype=np.int64)
        self.codes = np.asarray(codes, dtype=np.int64)

    def matching(self, values: Iterable, n: int) -> np.ndarray:
        """Boolean mask over the ``n`` reviews: those holding any of ``values``."""
        wanted = [self.index[v] for v in values if v in self.index]
        mask = np.zeros(n, dtype=bool)
        if wanted:
            mask[self.owners[np.isin(self.codes, wanted)]] = True
        return mask


class _BucketStarts(dict):
    """``starts[k]``: the start of trend bucket ``k`` of one step and offset (in
    microseconds), made once (a replay asks for the same buckets at every tick)."""

    def __init__(self, step: int, shift: int):
        super().__init__()
        self.step, self.shift = step, shift

    def __missing__(self, bucket: int) -> datetime:
        if len(self) >= 100_000:
            self.clear()
        at = self[bucket] = EPOCH + timedelta(microseconds=int(bucket) * self.step + self.shift)
        return at


@dataclasses.dataclass(frozen=True)
class HourlyCounts:
    """The reviews matching one combination of filters over a snapshot's period: per UTC
    hour from ``start`` (``totals[k]`` and ``negatives[k]`` for the hour starting at
    ``start + k`` hours), and the publication times (microseconds since the epoch,
    ascending) behind them, with the reviews, to count any part of an hour."""
    start: datetime
    totals: list[int]
    negatives: list[int]
    times: np.ndarray
    negative_times: np.ndarray
    reviews: list[Review]            # the matching reviews, in the order of ``times``

    def count(self, start: datetime, end: datetime) -> tuple[int, int]:
        """(reviews, negative reviews) published in ``[start, end)``."""
        lo, hi = micros(start), micros(end)
        return (int(np.searchsorted(self.times, hi) - np.searchsorted(self.times, lo)),
                int(np.searchsorted(self.negative_times, hi)
                    - np.searchsorted(self.negative_times, lo)))

    def first(self, start: datetime, end: datetime) -> Review | None:
        """The first review published in ``[start, end)``."""
        i = int(np.searchsorted(self.times, micros(start)))
        return self.reviews[i] if i < len(self.times) and self.times[i] < micros(end) else None


class SnapshotStore(ReviewStore):
    """The reviews of ``backing`` published in ``[start, end)``, read once (see module)."""

    def __init__(self, backing: ReviewStore, start: datetime, end: datetime):
        self.backing = backing
        self.start, self.end = start, end
        # a key of its own for caches keyed by store (``alerting.detect.hourly_counts``)
        self.path = f"snapshot-{next(_serial)}"
        self.reviews = list(backing.iter_reviews(ReviewQuery(start=start, end=end),
                                                 batch_size=2000))
        self.reviews.sort(key=lambda r: (r.published_at, r.id))
        self._positions = {r.id: i for i, r in enumerate(self.reviews)}
        self.times = np.asarray([micros(r.published_at) for r in self.reviews], dtype=np.int64)
        self.fields = {f: _Field(self.reviews, f) for f in (*SCALARS, *MULTI)}
        self._selections: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._reaches: np.ndarray | None = None
        self._memo: dict[Hashable, Any] = {}
        self._time_lists: dict[tuple, list[int]] = {}
        self._bucket_starts: dict[tuple[int, int], _BucketStarts] = {}

    def remembered(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()``, computed once for ``key`` while among the ``MEMO_LIMIT`` keys
        used last (see the module): the caller's key must name everything the result
        depends on besides this snapshot's reviews, and the result must not be changed."""
        memo = self._memo
        try:
            value = memo.pop(key)
        except KeyError:
            value = compute()
            if len(memo) >= MEMO_LIMIT:
                del memo[next(iter(memo))]  # the least recently used
        memo[key] = value
        return value

    def hourly(self, query: ReviewQuery) -> HourlyCounts | None:
        """The reviews per UTC hour matching ``query``'s filters but time and sentiment,
        all and negative (see ``HourlyCounts``); None when ``query`` sets a field the
        snapshot does not hold (the caller reads the store as usual)."""
        if self._passed_on(query):
            return None
        query = replace(query, sentiments=(), start=None, end=None)
        return self.remembered(("hourly", _SELECTION_OF(query)),
                               lambda: self._hourly(query))

    def _hourly(self, query: ReviewQuery) -> HourlyCounts:
        start = self.start - timedelta(minutes=self.start.minute, seconds=self.start.second,
                                       microseconds=self.start.microsecond)
        hours = -(-(self.end - start) // HOUR)
        positions, times = self._matching(query)
        _, negative_times = self._matching(replace(query, sentiments=("negative",)))
        origin = micros(start)
        return HourlyCounts(
            start,
            np.bincount((times - origin) // HOUR_US, minlength=hours)[:hours].tolist(),
            np.bincount((negative_times - origin) // HOUR_US, minlength=hours)[:hours].tolist(),
            times, negative_times, [self.reviews[i] for i in positions])

    # -- selection -------------------------------------------------------------------------

    def _matching(self, query: ReviewQuery) -> tuple[np.ndarray, np.ndarray]:
        """Positions (ascending) of the reviews matching ``query``'s filters other than time
        and text, and their publication times."""
        key = _SELECTION_OF(query)
        found = self._selections.get(key)
        if found is None:
            n = len(self.reviews)
            mask = np.ones(n, dtype=bool)
            for name, field in FILTERS.items():
                values = getattr(query, name)
                if values:
                    mask &= self.fields[field].matching(values, n)
            if query.min_reach is not None:
                mask &= self._reach() >= query.min_reach
            positions = np.nonzero(mask)[0]
            found = (positions, self.times[positions])
            if len(self._selections) >= CACHE_LIMIT:
                self._selections.clear()
            self._selections[key] = found
        return found

    def _reach(self) -> np.ndarray:
        if self._reaches is None:
            self._reaches = np.asarray([r.reach for r in self.reviews], dtype=np.int64)
        return self._reaches

    def _selected(self, query: ReviewQuery) -> np.ndarray:
        """Positions of the reviews matching every filter of ``query`` but ``q``."""
        positions, times = self._matching(query)
        lo = 0 if query.start is None else int(np.searchsorted(times, micros(query.start)))
        hi = len(times) if query.end is None else int(np.searchsorted(times, micros(query.end)))
        return positions[lo:max(lo, hi)]

    def _codes(self, positions: np.ndarray, field: str) -> tuple[np.ndarray, np.ndarray]:
        """(positions, value codes) of ``field`` for the reviews at ``positions``: one pair
        per review, or per review and value for a multi-valued field."""
        data = self.fields[field]
        if field in SCALARS:
            return positions, data.codes[positions]
        if not len(positions):
            return positions, positions
        # rows of the values are in review order: only those of the span are looked at
        lo = int(np.searchsorted(data.owners, positions[0]))
        hi = int(np.searchsorted(data.owners, positions[-1], side="right"))
        owners, codes = data.owners[lo:hi], data.codes[lo:hi]
        wanted = np.zeros(len(self.reviews), dtype=bool)
        wanted[positions] = True
        keep = wanted[owners]
        return owners[keep], codes[keep]

    @staticmethod
    def _passed_on(query: ReviewQuery) -> bool:
        """Whether ``query`` sets a field the snapshot does not hold (see ``HELD``): the
        ``narrowing_fields`` of ``query`` not all in ``HELD``."""
        return _OTHERS_OF(query)[:-1] != _OTHER_DEFAULTS

    def _clamped(self, query: ReviewQuery) -> ReviewQuery:
        start = self.start if query.start is None else max(query.start, self.start)
        end = self.end if query.end is None else min(query.end, self.end)
        return replace(query, start=start, end=max(start, end))

    # -- ReviewStore -----------------------------------------------------------------------

    def upsert(self, reviews: Iterable[Review]) -> UpsertResult:
        raise TypeError("a snapshot store is read-only")

    def relabel(self, reviews: Iterable[tuple[str, Review]]) -> UpsertResult:
        raise TypeError("a snapshot store is read-only")

    def fingerprints(self, ids: Iterable[str]) -> dict[str, str]:
        return {i: self.reviews[self._positions[i]].fingerprint() for i in ids
                if i in self._positions}

    def get(self, review_id: str) -> Review | None:
        position = self._positions.get(review_id)
        return None if position is None else self.reviews[position]

    def search(self, query: ReviewQuery = ReviewQuery(), limit: int = 50,
               cursor: str | None = None) -> ReviewPage:
        if self._passed_on(query):
            if cursor is not None and cursor.startswith("snapshot:"):
                raise ValueError(f"not a cursor of a search the backing store answers: {cursor!r}")
            return self.backing.search(self._clamped(query), limit, cursor)
        positions = self._selected(query)
        if cursor is not None:
            try:
                kind, _, before = cursor.partition(":")
                if kind != "snapshot":
                    raise ValueError
                positions = positions[positions < int(before)]
            except ValueError:
                raise ValueError(f"not a search cursor of this store: {cursor!r}") from None
        page = positions[::-1][:limit + 1]
        more = len(page) > limit
        page = page[:limit]
        reviews = [self.reviews[i] for i in page]
        return ReviewPage(reviews, f"snapshot:{int(page[-1])}" if more and len(page) else None)

    def feed(self, cursor: str | None = None, limit: int = 50,
             query: ReviewQuery = ReviewQuery()) -> ReviewPage:
        return ReviewPage([], "snapshot-feed")  # nothing is ever ingested into a snapshot

    def count(self, query: ReviewQuery = ReviewQuery(),
              group_by: str | None = None) -> dict[str | None, int]:
        if self._passed_on(query):
            return self.backing.count(self._clamped(query), group_by)
        if group_by is None:  # the commonest read of a replay: two bisections of a list
            times = self._time_list(query)
            lo = 0 if query.start is None else bisect_left(times, micros(query.start))
            hi = len(times) if query.end is None else bisect_left(times, micros(query.end))
            return {None: max(0, hi - lo)}
        return self._grouped(self._selected(query), group_field(group_by))

    def _time_list(self, query: ReviewQuery) -> list[int]:
        """The publication times of ``_matching(query)`` as a list (bisected in C without
        numpy's per-call overhead)."""
        key = _SELECTION_OF(query)
        found = self._time_lists.get(key)
        if found is None:
            if len(self._time_lists) >= CACHE_LIMIT:
                self._time_lists.clear()
            found = self._time_lists[key] = self._matching(query)[1].tolist()
        return found

    def _grouped(self, positions: np.ndarray, field: str) -> dict:
        _, codes = self._codes(positions, field)
        names = self.fields[field].names
        return {names[c]: int(n) for c, n in enumerate(np.bincount(codes, minlength=0)) if n}

    def cross_count(self, query: ReviewQuery, rows: str,
                    columns: str) -> dict[tuple[str | None, str | None], int]:
        return self.backing.cross_count(self._clamped(query), rows, columns)

    def keyword_counts(self, query: ReviewQuery, limit: int = 50,
                       terms: Iterable[str] | None = None) -> dict[str, int]:
        wanted = list(dict.fromkeys(terms)) if terms is not None else None
        if wanted == []:
            return {}
        if self._passed_on(query):
            return self.backing.keyword_counts(self._clamped(query), limit, wanted)
        counts = self._grouped(self._selected(query), "keyword")
        if wanted is not None:
            return {k: counts[k] for k in wanted if k in counts}
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit])

    def trend(self, query: ReviewQuery, interval: timedelta, group_by: str | None = None,
              offset: timedelta = timedelta(0)) -> list[TrendPoint]:
        if query.start is None or query.end is None:
            raise ValueError("trend needs query.start and query.end")
        step, shift = bucket_steps(interval, offset)
        if self._passed_on(query):
            return self.backing.trend(self._clamped(query), interval, group_by, offset)
        positions = self._selected(query)
        start = self._bucket_starts.get((step, shift))
        if start is None:
            start = self._bucket_starts[step, shift] = _BucketStarts(step, shift)
        if group_by is None:
            buckets, counts = _runs((self.times[positions] - shift) // step)
            return [TrendPoint(start[b], None, n) for b, n in zip(buckets, counts)]
        field = group_field(group_by)
        owners, codes = self._codes(positions, field)
        names = self.fields[field].names
        width = max(len(names), 1)
        pairs, counts = np.unique(((self.times[owners] - shift) // step) * width + codes,
                                  return_counts=True)
        return [TrendPoint(start[b], names[c], n) for b, c, n in zip(
            (pairs // width).tolist(), (pairs % width).tolist(), counts.tolist())]

    def iter_reviews(self, query: ReviewQuery = ReviewQuery(),
                     batch_size: int = 500) -> Iterator[Review]:
        if self._passed_on(query):
            yield from self.backing.iter_reviews(self._clamped(query), batch_size)
            return
        for position in self._selected(query):
            yield self.reviews[position]

    def stats(self) -> StoreStats:
        return StoreStats(reviews=len(self.reviews), details={
            "backend": "snapshot", "start": self.start.isoformat(), "end": self.end.isoformat()})
