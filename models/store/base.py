"""The ``ReviewStore`` contract: the one small method set every review backend implements.

Backends (embedded SQLite, Elasticsearch) are chosen by a dotted path in the config and are
exercised by one contract test suite (``tests/models/store_contract.py``).

Ordering and cursors:
- ``search`` returns newest ``published_at`` first (ties broken by id, descending); its cursor
  continues after the last review of the page.
- ``feed`` follows the store's ingest order: every insert, and every update that changed a
  review, moves the review to the head. It is what the live feed polls.
- Cursors are opaque strings; a cursor from one backend means nothing to another.
"""
from __future__ import annotations

import abc
import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Iterator, Sequence

from models.review import Review

GROUP_FIELDS = ("sentiment", "entity", "source", "topic", "platform", "aspect", "rating")
# Fields a review may hold several values of (counted once per value when grouped), each with
# the ``ReviewQuery`` attribute that filters on it.
MULTI_VALUED = {"entity": "entities", "topic": "topics", "aspect": "aspects"}
# Fields a read can be narrowed to one value of, each with the ``ReviewQuery`` attribute that
# filters on it (what ``first_published`` groups by, and what ``GroupedReads`` batches).
GROUP_FILTERS = {**MULTI_VALUED, "source": "sources", "sentiment": "sentiments"}


def group_field(group_by: str) -> str:
    """``group_by`` when it is one of ``GROUP_FIELDS``; a clear ValueError otherwise."""
    if group_by not in GROUP_FIELDS:
        raise ValueError(f"cannot group by {group_by!r}; expected one of {GROUP_FIELDS}")
    return group_by


def rating_key(rating: float | None) -> str | None:
    """The value a review's ``rating`` is grouped by: whole stars, half up (4.5 → ``"5"``,
    4.4 → ``"4"``), ``"0"`` to ``"5"``; None for a review without a rating."""
    return None if rating is None else str(int(rating + 0.5))


def aspect_key(topic: str, polarity: str) -> str:
    """The value an aspect ``(topic, polarity)`` of a review is filtered and grouped by:
    ``"物流配送:negative"`` (what reviews said about that topic, and how)."""
    return f"{topic}:{polarity}"


def aspect_keys(aspects: Iterable[tuple[str, str] | list[str]]) -> list[str]:
    """``aspect_key`` of each ``(topic, polarity)`` pair of a review's ``aspects``."""
    return [aspect_key(*pair) for pair in aspects]


def bucket_steps(interval: timedelta, offset: timedelta) -> tuple[int, int]:
    """``(step, offset)`` in microseconds of a trend's buckets: ``interval`` (positive, else
    ValueError) and ``offset`` brought into ``[0, step)``, so that bucket k starts at the
    Unix epoch + offset + k × step."""
    step = interval // timedelta(microseconds=1)
    if step <= 0:
        raise ValueError("trend interval must be positive")
    return step, (offset // timedelta(microseconds=1)) % step


def stable_json(body: dict) -> tuple[str, str]:
    """``(json, hash)`` of a review's ``to_dict()`` apart from ``crawled_at``: equal hashes
    mean "unchanged" (every backend's ``content_hash``). The JSON has sorted keys, so the
    Elasticsearch writer reuses it as the start of the stored document."""
    stable = {k: v for k, v in body.items() if k != "crawled_at"}
    blob = json.dumps(stable, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return blob, hashlib.blake2b(blob.encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class ReviewQuery:
    """Filters shared by every read. Empty tuples mean "any"; times bound ``published_at``
    as ``start <= published_at < end``; ``q`` is a full-text query over segmented tokens;
    ``aspects`` are ``aspect_key`` values; ``keywords`` match a review's ``keywords`` exactly;
    ``min_reach`` keeps reviews whose ``Review.reach`` is at least that (None: any)."""
    sources: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    sentiments: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    aspects: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    q: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    min_reach: int | None = None


_QUERY_DEFAULTS = tuple((f.name, f.default) for f in dataclasses.fields(ReviewQuery))


def narrowing_fields(query: ReviewQuery) -> frozenset[str]:
    """The names of the fields ``query`` sets (those not at their default). A reader that
    honours only some filters (a roll-up, a snapshot) compares this with what it holds and
    hands any other query on: a field added to ``ReviewQuery`` later is then never ignored."""
    return frozenset(name for name, default in _QUERY_DEFAULTS
                     if getattr(query, name) != default)


@dataclass(frozen=True, slots=True)
class UpsertResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    spooled: int = 0   # kept on local disk until the backend is reachable (Elasticsearch)
    rejected: int = 0  # refused by the backend one by one, each logged with its review id

    def __add__(self, other: "UpsertResult") -> "UpsertResult":
        return UpsertResult(self.new + other.new, self.updated + other.updated,
                            self.unchanged + other.unchanged, self.spooled + other.spooled,
                            self.rejected + other.rejected)


@dataclass(frozen=True, slots=True)
class ReviewPage:
    reviews: list[Review]
    cursor: str | None  # pass back to get the next page; None when nothing follows (search)
    # search with ``q``: {review id: HTML-escaped text fragment with <em> around the words}
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TrendPoint:
    bucket: datetime  # start of the bucket, UTC
    key: str | None   # the group value, None when not grouped
    count: int


AGGREGATIONS = ("count", "cross_count", "trend", "keyword_counts", "first_published")


@dataclass(frozen=True, slots=True)
class Aggregation:
    """One aggregated read for ``ReviewStore.aggregate``: the name of the method (one of
    ``AGGREGATIONS``), its query and its other positional arguments. Hashable, so a batch
    of them can be keyed by request."""
    method: str
    query: ReviewQuery
    args: tuple = ()

    def __post_init__(self) -> None:
        if self.method not in AGGREGATIONS:
            raise ValueError(f"not an aggregation: {self.method!r}; one of {AGGREGATIONS}")


@dataclass(frozen=True, slots=True)
class StoreStats:
    reviews: int
    details: dict = field(default_factory=dict)


def batches_by_id(reviews: Iterable[Review], size: int) -> Iterator[dict[str, Review]]:
    """``reviews`` in batches of at most ``size`` distinct ids (``{id: review}``, in first-seen
    order); a later duplicate of an id within a batch replaces the earlier one."""
    batch: dict[str, Review] = {}
    for review in reviews:
        batch[review.id] = review
        if len(batch) >= size:
            yield batch
            batch = {}
    if batch:
        yield batch


def relabel_batches(pairs: Iterable[tuple[str, Review]],
                    size: int) -> Iterator[tuple[dict[str, Review], dict[str, str]]]:
    """``relabel``'s ``(content hash as read, re-analysed review)`` pairs as ``batches_by_id``
    batches, each with the ``{id: content hash}`` its writes are conditional on."""
    expected: dict[str, str] = {}

    def remembered() -> Iterator[Review]:
        for content_hash, review in pairs:
            expected[review.id] = content_hash
            yield review
    for batch in batches_by_id(remembered(), size):
        yield batch, {rid: expected[rid] for rid in batch}


class ReviewStore(abc.ABC):
    """Persistence for reviews. Implementations must be safe to use from several threads and
    from several processes writing the same store (crawls run in child processes)."""

    # True when ``aggregate`` answers a batch in fewer round trips than its reads one by one
    # (worth gathering a view's reads first: ``web.reads.prefetched``)
    batches_aggregations = False

    @abc.abstractmethod
    def upsert(self, reviews: Iterable[Review]) -> UpsertResult:
        """Insert or update ``reviews`` by id, in batches. A review whose stored record equals
        the new one apart from ``crawled_at`` is counted as ``unchanged`` and not rewritten (it
        does not move in the feed). Later duplicates of an id within one call win. Idempotent."""

    @abc.abstractmethod
    def relabel(self, reviews: Iterable[tuple[str, Review]]) -> UpsertResult:
        """Write re-analysed copies of stored reviews (``koubei reanalyze``): each pair is
        ``(content_hash, review)``, the hash (``stable_json(to_dict())[1]``) of the record the
        copy was computed from. A copy replaces its record only when the store still holds
        that very record (``updated``); otherwise it is left alone (``unchanged``): a review
        deleted since, or rewritten by a writer meanwhile, which analysed it itself. A written
        copy keeps its place in the live feed (it does not show up there again) and every
        count and aggregation follows its new labels. Reviews are never added. Raises
        ``StoreUnavailable`` (nothing is spooled: the caller may run again)."""

    @abc.abstractmethod
    def fingerprints(self, ids: Iterable[str]) -> dict[str, str]:
        """Return ``{id: fingerprint}`` for the ids that are stored (the dedupe step's check)."""

    @abc.abstractmethod
    def get(self, review_id: str) -> Review | None:
        """Return the stored review or None."""

    def get_many(self, review_ids: Iterable[str]) -> dict[str, Review]:
        """``{id: review}`` for the stored ones among ``review_ids``, in the order asked (an
        incident's or a bulk step's reviews in one read where the backend can). This default
        asks ``get`` once per id; the backends answer in batches."""
        found = {}
        for review_id in dict.fromkeys(review_ids):
            review = self.get(review_id)
            if review is not None:
                found[review_id] = review
        return found

    @abc.abstractmethod
    def search(self, query: ReviewQuery = ReviewQuery(), limit: int = 50,
               cursor: str | None = None) -> ReviewPage:
        """Newest first. The page's cursor is None when there is nothing after it. With
        ``query.q``, ``highlights`` holds ``models.store.highlight.highlights`` of the page."""

    @abc.abstractmethod
    def feed(self, cursor: str | None = None, limit: int = 50,
             query: ReviewQuery = ReviewQuery()) -> ReviewPage:
        """Live-feed read in ingest order. Without a cursor: the ``limit`` most recently
        ingested reviews, newest first, and a cursor at the head. With a cursor: reviews
        ingested (or changed) after it, oldest first, at most ``limit``, and the cursor after
        the last one returned (the same cursor when nothing is new). Never None."""

    @abc.abstractmethod
    def count(self, query: ReviewQuery = ReviewQuery(),
              group_by: str | None = None) -> dict[str | None, int]:
        """Count matching reviews, grouped by one of ``GROUP_FIELDS`` (``{None: n}`` when
        ungrouped). Multi-valued fields (entity, topic, aspect) count a review once per
        value; aspects are grouped by ``aspect_key``, ratings by ``rating_key``."""

    @abc.abstractmethod
    def cross_count(self, query: ReviewQuery, rows: str,
                    columns: str) -> dict[tuple[str | None, str | None], int]:
        """Count matching reviews per pair of values of two different ``GROUP_FIELDS``
        (``{(row value, column value): n}``; pairs with no review are absent). A review counts
        once per pair of its values; a scalar field without a value counts under None, a
        multi-valued field without values not at all. For a multi-valued field the query
        also filters on (``entities`` for ``entity``...), only the filtered values are keys:
        comparing brands A and B never lists a third brand that shares their reviews."""

    @abc.abstractmethod
    def keyword_counts(self, query: ReviewQuery, limit: int = 50,
                       terms: Iterable[str] | None = None) -> dict[str, int]:
        """How many matching reviews hold each keyword (``Review.keywords``). Without
        ``terms``: the ``limit`` most frequent, most first, ties by keyword (on Elasticsearch
        which keywords make the top is approximate when the window spans several monthly
        indices; the counts returned are those of the aggregation). With ``terms``: exactly
        those that occur, whatever ``limit``."""

    @abc.abstractmethod
    def trend(self, query: ReviewQuery, interval: timedelta, group_by: str | None = None,
              offset: timedelta = timedelta(0)) -> list[TrendPoint]:
        """Counts per ``interval`` bucket of ``published_at``, ascending; empty buckets are
        omitted. ``query.start``/``end`` are required. Buckets start at the Unix epoch +
        ``offset`` + k × ``interval`` (``bucket_steps``): days of UTC+8 are an interval of a
        day with an offset of 16 hours (local midnight is 16:00 UTC)."""

    def first_published(self, query: ReviewQuery = ReviewQuery(),
                        group_by: str | None = None) -> dict[str | None, datetime]:
        """The earliest ``published_at`` of the matching reviews (``{None: t}``), or of each
        group's when grouped by one of ``GROUP_FILTERS`` (``{value: t}``); nothing matching,
        no key. A review counts in the group of each of its values; when the query filters on
        the field grouped by, only the filtered values are keys (as in ``cross_count``).
        This default reads each group's oldest review; a backend may answer every group in
        one request (Elasticsearch)."""
        if group_by is None:
            keys: list[str | None] = [None]
        else:
            attr = GROUP_FILTERS.get(group_by)
            if attr is None:
                raise ValueError(f"cannot group first_published by {group_by!r}; "
                                 f"expected one of {tuple(GROUP_FILTERS)}")
            wanted = getattr(query, attr)
            keys = [k for k in self.count(query, group_by)
                    if k is not None and (not wanted or k in wanted)]
        out: dict[str | None, datetime] = {}
        for key in keys:
            narrowed = query if key is None else dataclasses.replace(query, **{attr: (key,)})
            oldest = self.iter_reviews(narrowed, batch_size=1)
            try:
                review = next(oldest, None)
            finally:
                oldest.close()
            if review is not None:
                out[key] = review.published_at
        return out

    def aggregate(self, requests: Sequence[Aggregation]) -> list[Any]:
        """The answers to several aggregated reads, in order, each equal to calling its
        method. A backend may answer them all in one round trip (Elasticsearch: one
        multi-search); this default calls the methods one after another."""
        return [getattr(self, r.method)(r.query, *r.args) for r in requests]

    @abc.abstractmethod
    def iter_reviews(self, query: ReviewQuery = ReviewQuery(),
                     batch_size: int = 500) -> Iterator[Review]:
        """Stream every matching review, oldest ``published_at`` first, in bounded memory."""

    @abc.abstractmethod
    def stats(self) -> StoreStats:
        """Total number of reviews plus backend-specific details."""

    def close(self) -> None:
        """Release connections. The store is unusable afterwards."""


class ReadsByAggregate:
    """For a store whose ``aggregate`` is its primitive (Elasticsearch answers a batch in one
    multi-search; ``GroupedReads`` batches every group's reads): each aggregated read is a
    batch of one. Put it before ``ReviewStore`` in the bases."""

    def count(self, query: ReviewQuery = ReviewQuery(),
              group_by: str | None = None) -> dict[str | None, int]:
        return self.aggregate([Aggregation("count", query, (group_by,))])[0]

    def cross_count(self, query: ReviewQuery, rows: str,
                    columns: str) -> dict[tuple[str | None, str | None], int]:
        return self.aggregate([Aggregation("cross_count", query, (rows, columns))])[0]

    def keyword_counts(self, query: ReviewQuery, limit: int = 50,
                       terms: Iterable[str] | None = None) -> dict[str, int]:
        terms = None if terms is None else tuple(terms)
        return self.aggregate([Aggregation("keyword_counts", query, (limit, terms))])[0]

    def trend(self, query: ReviewQuery, interval: timedelta, group_by: str | None = None,
              offset: timedelta = timedelta(0)) -> list[TrendPoint]:
        return self.aggregate([Aggregation("trend", query, (interval, group_by, offset))])[0]

    def first_published(self, query: ReviewQuery = ReviewQuery(),
                        group_by: str | None = None) -> dict[str | None, datetime]:
        return self.aggregate([Aggregation("first_published", query, (group_by,))])[0]
