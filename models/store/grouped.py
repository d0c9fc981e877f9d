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
from datetime import timedelta
from typing import Any, Iterable, Iterator, Sequence

from models.store.base import (
    GROUP_FILTERS,
    MULTI_VALUED,
    Aggregation,
    ReadsByAggregate,
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


class GroupedReads(ReadsByAggregate, ReviewStore):
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
    def aggregate(self, requests: Sequence[Aggregation]) -> list[Any]:
        """Each request narrowed to a learned group answered from its question's grouped
        read; the grouped reads still missing and the other requests go to the store in
        one ``aggregate`` (one multi-search on Elasticsearch)."""
        asked: list[Aggregation] = []
        places: list[tuple] = []  # per request: ("own", index) or ("group", shape, group)
        pending: dict[tuple, tuple] = {}  # shape -> (index, groups, split, empty)
        for request in requests:
            plan = self._plan(request)
            if plan is None:
                places.append(("own", len(asked)))
                asked.append(request)
                continue
            shape, key, grouped, split, empty = plan
            places.append(("group", shape, key))
            if key in self._answers.get(shape, {}) or shape in pending:
                continue
            missing = self.groups[shape[-1]] - self._answers.get(shape, {}).keys()
            attr = BATCHED[shape[-1]]
            pending[shape] = (len(asked), missing, split, empty)
            asked.append(dataclasses.replace(grouped, query=dataclasses.replace(
                grouped.query, **{attr: tuple(sorted(missing))})))
        answers = self.store.aggregate(asked) if asked else []
        for shape, (index, missing, split, empty) in pending.items():
            found = split(answers[index])
            self._answers.setdefault(shape, {}).update({k: found.get(k, empty)
                                                        for k in missing})
        out = []
        for request, place in zip(requests, places):
            if place[0] == "own":
                answer = answers[place[1]]
                self._learn(request, answer)
                out.append(answer)
            else:
                out.append(_copy(self._answers[place[1]][place[2]]))
        return out

    def feed(self, cursor: str | None = None, limit: int = 50,
             query: ReviewQuery = ReviewQuery()) -> ReviewPage:
        key = (cursor, limit, query)
        if key not in self._feeds:
            self._feeds[key] = self.store.feed(cursor, limit, query)
        return self._feeds[key]

    def _learn(self, request: Aggregation, answer: Any) -> None:
        """A count grouped by a batched field teaches its groups."""
        args = _args(request)
        if request.method == "count" and args[0] in BATCHED:
            self.groups.setdefault(args[0], set()).update(k for k in answer if k is not None)

    def _plan(self, request: Aggregation) -> tuple | None:
        """``(shape, group, the grouped request, its answer split by group, the answer of a
        group without reviews)`` for a request narrowed to a learned group that a grouped
        read answers; None for any other."""
        narrowed = self._narrowed(request.query)
        if narrowed is None:
            return None
        field, key = narrowed
        args, method = _args(request), request.method
        shape = (method, dataclasses.replace(request.query, **{BATCHED[field]: ()}), args,
                 field)
        if method == "count" and args[0] is None:
            return (shape, key, Aggregation("count", request.query, (field,)),
                    lambda found: {k: {None: n} for k, n in found.items()}, {None: 0})
        if method == "count" and args[0] != field and not (
                args[0] in MULTI_VALUED and getattr(request.query, MULTI_VALUED[args[0]])):
            # (grouped by the field itself, or by a multi-valued one it also filters on, a
            # count is not the cross count's row: see ``ReviewStore.cross_count``)
            return (shape, key, Aggregation("cross_count", request.query, (field, args[0])),
                    _split, {})
        if method == "trend" and args[1] is None:
            return (shape, key, Aggregation("trend", request.query, (args[0], field, args[2])),
                    _split_trend, [])
        if method == "first_published" and args[0] is None:
            return (shape, key, Aggregation("first_published", request.query, (field,)),
                    lambda found: {k: {None: t} for k, t in found.items()}, {})
        return None

    def _narrowed(self, query: ReviewQuery) -> tuple[str, str] | None:
        """``(field, group)`` when ``query`` narrows a field to one group learned of it (of
        several such fields, the one with the most groups)."""
        found = [(len(self.groups[field]), field, getattr(query, attr)[0])
                 for field, attr in BATCHED.items()
                 if len(getattr(query, attr)) == 1
                 and getattr(query, attr)[0] in self.groups.get(field, ())]
        return max(found)[1:] if found else None

    # -- passed through ---------------------------------------------------------------------
    def cross_count(self, query: ReviewQuery, rows: str,
                    columns: str) -> dict[tuple[str | None, str | None], int]:
        return self.store.cross_count(query, rows, columns)

    def keyword_counts(self, query: ReviewQuery, limit: int = 50,
                       terms: Iterable[str] | None = None) -> dict[str, int]:
        return self.store.keyword_counts(query, limit, terms)

    def upsert(self, reviews: Iterable) -> UpsertResult:
        return self.store.upsert(reviews)

    def relabel(self, reviews: Iterable) -> UpsertResult:
        return self.store.relabel(reviews)

    def fingerprints(self, ids: Iterable[str]) -> dict[str, str]:
        return self.store.fingerprints(ids)

    def get(self, review_id: str):
        return self.store.get(review_id)

    def get_many(self, review_ids: Iterable[str]) -> dict:
        return self.store.get_many(review_ids)

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


def _split_trend(points: list[TrendPoint]) -> dict[str, list[TrendPoint]]:
    """Points grouped by key (ascending by bucket) as ``{group: its ungrouped points}``."""
    out: dict[str, list[TrendPoint]] = {}
    for point in points:
        if point.key is not None:
            out.setdefault(point.key, []).append(TrendPoint(point.bucket, None, point.count))
    return out


# the arguments a request may leave out, as the methods' own defaults
_DEFAULTS = {"count": (None,), "trend": (None, None, timedelta(0)), "first_published": (None,),
             "cross_count": (None, None), "keyword_counts": (50, None)}


def _args(request: Aggregation) -> tuple:
    return request.args + _DEFAULTS[request.method][len(request.args):]


def _copy(answer: Any) -> Any:
    """A copy the caller may change without changing what other groups are answered."""
    return answer.copy() if isinstance(answer, (dict, list)) else answer
