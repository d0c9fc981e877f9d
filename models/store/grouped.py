"""Reads narrowed to one group, answered for every group at once: a rule's reads in a tick.

A rule grouped by entity (or source, topic, aspect) asks every group the same questions: its
hourly counts, the time of its first review, its positive reviews of the last hours... each
a query that differs from the other groups' only by the group's value. On Elasticsearch each
is a round trip, so a tick cost about ten per active group. ``GroupedReads`` wraps the store
for one evaluation of one rule and turns them into one grouped read per question:

- a grouped ``count`` (how a rule finds its groups: ``Rule.groups``) teaches it the groups of
  that field;
- a ``count``, ``trend`` or ``first_published`` whose query narrows that field to one of the
  groups it knows (``entities=("e1",)``) is answered from one read of the same question
  for all of them (the filter holds every group, the read is grouped by the field), made
  the first time a group asks it and kept for the others; a ``count`` grouped by another
  field becomes one ``cross_count``;
- ``feed`` pages are kept by cursor (every group's remembered hourly counts catch up on
  the same page).

The answers are those of the wrapped store: a review counts in the group of each of its
values in a grouped read exactly as it matches a filter on each of them, and a group
without reviews gets the empty answer. Everything else (searches, samples, writes) passes
through. A wrapper lives for one evaluation: it answers from what it read then.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Iterator, Sequence

from models.store.base import (
    GROUP_FILTERS,
    MULTI_VALUED,
    Aggregation,
    ReviewPage,
    ReviewQuery,
    ReviewStore,
    StoreStats,
    TrendPoint,
    UpsertResult,
)

# the fields whose groups are learned and batched (sentiment is a filter, never a group)
BATCHED = {k: v for k, v in GROUP_FILTERS.items() if k != "sentiment"}


def cache_identity(store: ReviewStore) -> tuple[str, str]:
    """What caches kept across ticks key a store by (``alerting.detect.hourly_counts``): the
    same for a store and any ``GroupedReads`` over it."""
    identity = getattr(store, "identity", None)
    if identity is not None:
        return identity
    return type(store).__name__, str(getattr(store, "path", id(store)))


class GroupedReads(ReviewStore):
    """``store`` for one rule's evaluation, its per-group reads batched (see the module)."""

    def __init__(self, store: ReviewStore):
        self.store = store
        self.identity = cache_identity(store)
        self.batches_aggregations = store.batches_aggregations
        self.groups: dict[str, set[str]] = {}  # field -> the groups learned
        # (method, query without the group filter, args, field) -> {group: answer}
        self._answers: dict[tuple, dict[str, Any]] = {}
        self._feeds: dict[tuple, ReviewPage] = {}

    # -- the batched reads ------------------------------------------------------------------
    def count(self, query: ReviewQuery = ReviewQuery(),
              group_by: str | None = None) -> dict[str | None, int]:
        narrowed = self._narrowed(query)
        if narrowed is None:
            counts = self.store.count(query, group_by)
            if group_by in BATCHED:
                self.groups.setdefault(group_by, set()).update(
                    k for k in counts if k is not None)
            return counts
        field, _ = narrowed
        if group_by is None:
            return self._batched("count", query, (), narrowed, lambda q, keys: {
                k: {None: n} for k, n in self.store.count(q, field).items()}, {None: 0})
        if group_by == field or (group_by in MULTI_VALUED
                                 and getattr(query, MULTI_VALUED[group_by])):
            # not the same as a cross count: pass on (see ``ReviewStore.cross_count``)
            return self.store.count(query, group_by)
        return self._batched("count", query, (group_by,), narrowed, lambda q, keys: _split(
            self.store.cross_count(q, field, group_by)), {})

    def trend(self, query: ReviewQuery, interval: timedelta,
              group_by: str | None = None) -> list[TrendPoint]:
        narrowed = self._narrowed(query)
        if narrowed is None or group_by is not None:
            return self.store.trend(query, interval, group_by)
        field = narrowed[0]

        def read(q: ReviewQuery, keys: set[str]) -> dict[str, list[TrendPoint]]:
            out: dict[str, list[TrendPoint]] = {}
            for point in self.store.trend(q, interval, field):  # ascending by bucket
                if point.key is not None:
                    out.setdefault(point.key, []).append(TrendPoint(point.bucket, None,
                                                                    point.count))
            return out
        return list(self._batched("trend", query, (interval,), narrowed, read, []))

    def first_published(self, query: ReviewQuery = ReviewQuery(),
                        group_by: str | None = None) -> dict[str | None, datetime]:
        narrowed = self._narrowed(query)
        if narrowed is None or group_by is not None:
            return self.store.first_published(query, group_by)
        return self._batched("first_published", query, (), narrowed, lambda q, keys: {
            k: {None: t} for k, t in self.store.first_published(q, narrowed[0]).items()}, {})

    def feed(self, cursor: str | None = None, limit: int = 50,
             query: ReviewQuery = ReviewQuery()) -> ReviewPage:
        key = (cursor, limit, query)
        if key not in self._feeds:
            self._feeds[key] = self.store.feed(cursor, limit, query)
        return self._feeds[key]

    def _narrowed(self, query: ReviewQuery) -> tuple[str, str] | None:
        """``(field, group)`` when ``query`` narrows a field to one group learned of it (of
        several such fields, the one with the most groups)."""
        found = [(len(self.groups[field]), field, getattr(query, attr)[0])
                 for field, attr in BATCHED.items()
                 if len(getattr(query, attr)) == 1
                 and getattr(query, attr)[0] in self.groups.get(field, ())]
        return max(found)[1:] if found else None

    def _batched(self, method: str, query: ReviewQuery, args: tuple,
                 narrowed: tuple[str, str], read: Callable[[ReviewQuery, set[str]], dict],
                 empty: Any) -> Any:
        """The answer for ``narrowed``'s group, from one ``read`` of the query with every
        learned group in its filter (made once, and again only for groups learned since)."""
        field, key = narrowed
        attr = BATCHED[field]
        shape = (method, dataclasses.replace(query, **{attr: ()}), args, field)
        answers = self._answers.setdefault(shape, {})
        if key not in answers:
            missing = self.groups[field] - answers.keys()
            found = read(dataclasses.replace(query, **{attr: tuple(sorted(missing))}), missing)
            answers.update({k: found.get(k, empty) for k in missing})
        return _copy(answers[key])

    # -- passed through ---------------------------------------------------------------------
    def cross_count(self, query: ReviewQuery, rows: str,
                    columns: str) -> dict[tuple[str | None, str | None], int]:
        return self.store.cross_count(query, rows, columns)

    def keyword_counts(self, query: ReviewQuery, limit: int = 50,
                       terms: Iterable[str] | None = None) -> dict[str, int]:
        return self.store.keyword_counts(query, limit, terms)

    def aggregate(self, requests: Sequence[Aggregation]) -> list[Any]:
        return self.store.aggregate(requests)

    def upsert(self, reviews: Iterable) -> UpsertResult:
        return self.store.upsert(reviews)

    def fingerprints(self, ids: Iterable[str]) -> dict[str, str]:
        return self.store.fingerprints(ids)

    def get(self, review_id: str):
        return self.store.get(review_id)

    def search(self, query: ReviewQuery = ReviewQuery(), limit: int = 50,
               cursor: str | None = None) -> ReviewPage:
        return self.store.search(query, limit, cursor)

    def iter_reviews(self, query: ReviewQuery = ReviewQuery(),
                     batch_size: int = 500) -> Iterator:
        return self.store.iter_reviews(query, batch_size)

    def stats(self) -> StoreStats:
        return self.store.stats()

    def close(self) -> None:
        """Nothing to release: the wrapped store is its owner's to close."""


def _split(cross: dict[tuple[str | None, str | None], int]) -> dict[str, dict]:
    """``{(group, value): n}`` as ``{group: {value: n}}``."""
    out: dict[str, dict] = {}
    for (row, column), n in cross.items():
        if row is not None:
            out.setdefault(row, {})[column] = n
    return out


def _copy(answer: Any) -> Any:
    """A copy the caller may change without changing what other groups are answered."""
    return answer.copy() if isinstance(answer, (dict, list)) else answer
