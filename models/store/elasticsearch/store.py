"""The scale-out review store on Elasticsearch (server and client major version 9).

Index design: see ``es_mapping``; feed ordering and its guarantee: see ``es_feed``; bulk
retry and per-document rejections: see ``es_bulk``; the disk spool: see ``es_spool``.

Writes go through ``es_writes.BatchWriter``. When the node cannot be reached a batch goes to
the disk spool and ``UpsertResult.spooled`` counts it; spooled batches are replayed in order,
before anything newer, by the next write that reaches the node (or ``replay_spool``).
Rejected documents are logged with their id, counted in ``UpsertResult.rejected`` and kept in
``last_rejections``; the rest of the batch is written.
"""
from __future__ import annotations

import functools
import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator, Sequence

from elasticsearch import ApiError, ConnectionError, ConnectionTimeout

from models.exceptions import StoreError, StoreUnavailable
from models.review import Review
from models.store.base import (
    GROUP_FILTERS,
    MULTI_VALUED,
    Aggregation,
    ReadsByAggregate,
    ReviewPage,
    ReviewQuery,
    ReviewStore,
    StoreStats,
    UpsertResult,
    batches_by_id,
    relabel_batches,
)
from models.store.cursors import decode_cursor, encode_cursor
from models.store.elasticsearch import aggs as es_aggs
from models.store.elasticsearch.bulk import Rejection, RetryPolicy
from models.store.elasticsearch.connect import (
    NOT_READY_STATUSES,
    check_node,
    make_client,
    translated_errors,
)
from models.store.elasticsearch.feed import FeedLedger
from models.store.elasticsearch.mapping import (
    MAPPINGS,
    IndexNames,
    from_document,
    template_body,
)
from models.store.elasticsearch.query import bool_query, narrowing
from models.store.elasticsearch.spool import DiskSpool
from models.store.elasticsearch.writes import BatchWriter, PreparedBatch, prepare
from models.store.highlight import highlights

log = logging.getLogger(__name__)

REVIEWS_PER_READ = 1000  # whole reviews per request of get_many: a few MB at most


def _wrapped(method):
    """Translate the client's errors at the boundary (connection → ``StoreUnavailable``)."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        with translated_errors(self.url):
            return method(self, *args, **kwargs)
    return call


class ElasticsearchReviewStore(ReadsByAggregate, ReviewStore):
    batches_aggregations = True  # one _msearch

    def __init__(self, home: Path, url: str | None = None, index_prefix: str = "koubei",
                 batch_size: int = 2000, retry: RetryPolicy = RetryPolicy(), **connection):
        self.names = IndexNames(index_prefix)
        self.client, self.url = make_client(url, **connection)
        self.batch_size = batch_size
        self.retry = retry
        self.spool = DiskSpool(Path(home) / "es-spool" / index_prefix)
        self.ledger = FeedLedger(self.client, self.names.meta)
        self.writer = BatchWriter(self.client, self.url, self.names, self.ledger, retry)
        self.server = check_node(self.client, self.url)
        self._bootstrap()
        if self.spool.files():  # left by an earlier process that lost the node
            try:
                log.info("replayed %d spooled reviews", self.replay_spool())
            except StoreUnavailable as exc:
                log.warning("spooled reviews wait for the next write: %s", exc)

    @_wrapped
    def _bootstrap(self) -> None:
        """Install the template (every start, so mapping changes roll out to new months) and
        make sure the read alias and the meta index exist."""
        indices = self.client.indices
        indices.put_index_template(name=self.names.template, **template_body(self.names))
        # new fields reach the months created from an older template too (their documents
        # written before gain values from ``koubei store upgrade`` or when re-ingested with a
        # change)
        indices.put_mapping(index=self.names.pattern, properties=MAPPINGS["properties"],
                            allow_no_indices=True)
        # 400 = created meanwhile by another process
        creating = self.client.options(ignore_status=400).indices
        if not indices.exists(index=self.names.meta):
            creating.create(index=self.names.meta, mappings={"dynamic": False},
                            settings={"number_of_shards": 1, "auto_expand_replicas": "0-1"})
        if not indices.exists_alias(name=self.names.alias):
            creating.create(index=self.names.monthly(datetime.now(timezone.utc)))

    @property
    def last_rejections(self) -> list[Rejection]:
        """The documents refused in the last written batch, each with its review id."""
        return self.writer.last_rejections

    def close(self) -> None:
        self._settle()
        self.writer.close()
        self.client.close()

    # -- writes -------------------------------------------------------------------------
    def upsert(self, reviews: Iterable[Review]) -> UpsertResult:
        """Reviews in memory (a list, say) are written in batches, each prepared while the
        one before is sent, and made searchable together about once a second. An iterator's
        reviews are written and made searchable batch by batch as they come, so that a slow
        producer's batch is neither held back until its next one is complete nor hidden from
        the live feed meanwhile."""
        result = UpsertResult()
        batches = (batch.values() for batch in batches_by_id(reviews, self.batch_size))
        in_memory = isinstance(reviews, Collection)
        prepared = self.writer.prepared_ahead(batches) if in_memory else map(prepare, batches)
        for batch in prepared:
            result += self._write_or_spool(batch)
            if not in_memory or self.writer.settle_due():
                self._settle()
        self._settle()
        return result

    def relabel(self, reviews: Iterable[tuple[str, Review]]) -> UpsertResult:
        result = UpsertResult()
        try:
            for batch, expected in relabel_batches(reviews, self.batch_size):
                with translated_errors(self.url):
                    result += self.writer.relabel(prepare(batch.values()), expected)
        finally:
            self._settle()
        return result

    def _settle(self) -> None:
        """Make every written batch searchable before returning, as callers expect. When the
        node went away meanwhile the reviews are already written; the next write settles."""
        try:
            with translated_errors(self.url):
                self.writer.settle()
        except StoreUnavailable as exc:
            log.warning("written reviews wait for a refresh: %s", exc)

    def _write_or_spool(self, batch: PreparedBatch) -> UpsertResult:
        if self.spool.files():
            with self.spool.locked():
                try:
                    self.spool.replay(self._write_reviews, self.batch_size)
                except StoreUnavailable as exc:
                    log.warning("Elasticsearch still unreachable, spooling: %s", exc)
                    self.spool.append(list(batch.reviews.values()))
                    return UpsertResult(spooled=len(batch))
        try:
            return self._write_batch(batch)
        except StoreUnavailable as exc:
            with self.spool.locked():
                path = self.spool.append(list(batch.reviews.values()))
            log.warning("spooled %d reviews to %s: %s", len(batch), path, exc)
            return UpsertResult(spooled=len(batch))

    def replay_spool(self) -> int:
        """Write every spooled review now; return how many. Raises ``StoreUnavailable``."""
        with self.spool.locked():
            replayed = self.spool.replay(self._write_reviews, self.batch_size)
        self._settle()
        return replayed

    def _write_batch(self, batch: PreparedBatch) -> UpsertResult:
        with translated_errors(self.url):
            return self.writer.write(batch)

    def _write_reviews(self, reviews: list[Review]) -> UpsertResult:  # spooled ones
        return self._write_batch(prepare(reviews))

    # -- reads --------------------------------------------------------------------------
    @_wrapped
    def fingerprints(self, ids: Iterable[str]) -> dict[str, str]:
        stored = self.writer.stored(list(ids), ["fingerprint"])
        return {rid: src["fingerprint"] for rid, (_, src) in stored.items()}

    @_wrapped
    def get(self, review_id: str) -> Review | None:
        hits = self.client.search(index=self.names.alias, size=1,
                                  query={"ids": {"values": [review_id]}})["hits"]["hits"]
        return from_document(hits[0]["_source"]) if hits else None

    @_wrapped
    def get_many(self, review_ids: Iterable[str]) -> dict[str, Review]:
        ids, sources = list(dict.fromkeys(review_ids)), {}
        for i in range(0, len(ids), REVIEWS_PER_READ):
            chunk = ids[i:i + REVIEWS_PER_READ]
            hits = self.client.search(index=self.names.alias, size=len(chunk),
                                      query={"ids": {"values": chunk}})["hits"]["hits"]
            sources.update((hit["_id"], hit["_source"]) for hit in hits)
        return {rid: from_document(sources[rid]) for rid in ids if rid in sources}

    @_wrapped
    def search(self, query: ReviewQuery = ReviewQuery(), limit: int = 50,
               cursor: str | None = None) -> ReviewPage:
        after = decode_cursor("search", cursor, 2, (int, str)) if cursor is not None else None
        response = self.client.search(
            index=self.names.alias, query=bool_query(query), size=limit + 1,
            sort=[{"published_at": "desc"}, {"id": "desc"}], search_after=after)
        hits = response["hits"]["hits"]
        more, hits = len(hits) > limit, hits[:limit]
        next_cursor = encode_cursor("search", *hits[-1]["sort"]) if more and hits else None
        reviews = [from_document(h["_source"]) for h in hits]
        return ReviewPage(reviews, next_cursor, highlights(reviews, query.q))

    @_wrapped
    def feed(self, cursor: str | None = None, limit: int = 50,
             query: ReviewQuery = ReviewQuery()) -> ReviewPage:
        after = decode_cursor("feed", cursor, 1, (int,))[0] if cursor is not None else None
        horizon = self.ledger.horizon()
        settled = {"range": {"seq": {"lt": horizon}}} if horizon is not None else None
        if after is None:
            response = self.client.search(
                index=self.names.alias, query={"bool": {"filter": [settled] if settled else []}},
                post_filter=bool_query(query), size=limit, sort=[{"seq": "desc"}],
                aggs={"head": {"max": {"field": "seq"}}})
            head = int(response["aggregations"]["head"]["value"] or 0)
            return ReviewPage([from_document(h["_source"]) for h in response["hits"]["hits"]],
                              encode_cursor("feed", head))
        extra = [{"range": {"seq": {"gt": after}}}] + ([settled] if settled else [])
        hits = self.client.search(index=self.names.alias, query=bool_query(query, *extra),
                                  size=limit, sort=[{"seq": "asc"}])["hits"]["hits"]
        last = hits[-1]["sort"][0] if hits else after
        return ReviewPage([from_document(h["_source"]) for h in hits], encode_cursor("feed", last))

    # -- aggregations: each read is a search body and a parser, so that several of them
    # can go in one multi-search (``aggregate``) --------------------------------------------
    @_wrapped
    def aggregate(self, requests: Sequence[Aggregation]) -> list[Any]:
        """One ``_msearch`` for every request that needs the node (a keyword count of no
        terms needs none). Requests whose queries differ only in their narrowing filters
        (``query.narrowing``: topics, sentiments, aspects, keywords) share one search: its
        query holds what they all filter on (the window, the entities...) and each request's
        own narrowing filters wrap its aggregations in a ``filter`` aggregation, so the node
        reads the matching documents once for all of them (a view's figures of one period,
        its journey stages, its negative reviews); reads with the same narrowing filters share
        one ``filter`` aggregation, and cross counts over the same row field their row
        buckets (``_place``). An error in any search raises, as its own call would."""
        plans = [_plan(r) for r in requests]
        groups: dict[str, list[int]] = {}  # the shared part of the query, as JSON -> plans
        parts: dict[int, tuple[list[dict], list[dict]]] = {}
        for i, plan in enumerate(plans):
            if plan is not None:
                parts[i] = narrowing(plan[0]["query"]["bool"]["filter"])
                groups.setdefault(_json(parts[i][0]), []).append(i)
        searches: list[dict] = []
        placed: dict[int, tuple[int, Callable[[dict], dict]]] = {}  # plan -> (search, pick)
        for members in groups.values():
            own = {i: {_json(c): c for c in parts[i][1]} for i in members}
            common = set.intersection(*(set(o) for o in own.values()))
            shared = parts[members[0]][0] + [c for k, c in own[members[0]].items()
                                              if k in common]
            search = {"query": {"bool": {"filter": shared}}, "size": 0, "aggs": {}}
            names: dict[str, str] = {}  # a shared filter or row aggregation, as JSON -> name
            for i in members:
                extra = [c for k, c in own[i].items() if k not in common]
                placed[i] = (len(searches), _place(search, names, i, requests[i].method,
                                                   plans[i][0], extra))
            searches.append(search)
        lines: list[dict] = []
        for search in searches:
            lines += [{"index": self.names.alias}, search]
        # a month of hourly buckets is most of the answer: leave out their key_as_string
        responses = self.client.msearch(
            searches=lines, filter_path=["-responses.aggregations.**.key_as_string"],
        )["responses"] if lines else []
        out = []
        for i, plan in enumerate(plans):
            if plan is None:
                out.append({})
                continue
            response = responses[placed[i][0]]
            if "error" in response:
                raise _search_error(self.url, response)
            out.append(plan[1](placed[i][1](response)))
        return out

    def iter_reviews(self, query: ReviewQuery = ReviewQuery(),
                     batch_size: int = 500) -> Iterator[Review]:
        """Streams from one point in time, so writes during the export do not shift pages."""
        pit = self._call(self.client.open_point_in_time, index=self.names.alias,
                         keep_alive="2m")["id"]
        try:
            after = None
            while True:
                response = self._call(
                    self.client.search, pit={"id": pit, "keep_alive": "2m"}, size=batch_size,
                    query=bool_query(query), search_after=after,
                    sort=[{"published_at": "asc"}, {"id": "asc"}])
                pit = response.get("pit_id", pit)
                hits = response["hits"]["hits"]
                yield from (from_document(h["_source"]) for h in hits)
                if len(hits) < batch_size:
                    return
                after = hits[-1]["sort"]
        finally:
            try:
                self.client.close_point_in_time(id=pit)
            except (ApiError, ConnectionError, ConnectionTimeout):
                pass  # the point in time expires by itself after keep_alive

    @_wrapped
    def _call(self, method, **kwargs):
        return method(**kwargs)

    @_wrapped
    def stats(self) -> StoreStats:
        n = self.client.count(index=self.names.alias)["count"]
        aliases = self.client.indices.get_alias(name=self.names.alias)
        return StoreStats(reviews=n, details={
            "backend": "elasticsearch", "url": self.url, "server": self.server,
            "alias": self.names.alias, "indices": sorted(aliases),
            "spooled": self.spool.pending()})


# the defaults of the arguments a request may leave out, as the methods' own
_DEFAULT_ARGS = {"count": (None,), "cross_count": (None, None),
                 "trend": (None, None, timedelta(0)),
                 "keyword_counts": (50, None), "first_published": (None,)}


def _plan(request: Aggregation) -> tuple[dict, Callable[[dict], Any]] | None:
    """The search body answering ``request`` and the parser of its response; None when the
    answer is known without asking (a keyword count of no terms is empty)."""
    query = bool_query(request.query)
    args = request.args + _DEFAULT_ARGS[request.method][len(request.args):]
    if request.method == "count":
        (group_by,) = args
        if group_by is None:
            return ({"query": query, "size": 0, "track_total_hits": True, "aggs": {}},
                    lambda r: {None: r["hits"]["total"]["value"]})
        return ({"query": query, "size": 0, "aggs": {"groups": es_aggs.group_terms(group_by)}},
                es_aggs.grouped_counts)
    if request.method == "cross_count":
        rows, columns = args
        if rows == columns:
            raise ValueError(f"cross_count needs two different fields, got {rows!r} twice")
        include = {name: getattr(request.query, MULTI_VALUED[name]) for name in (rows, columns)
                   if name in MULTI_VALUED}
        return ({"query": query, "size": 0,
                 "aggs": es_aggs.cross_groups(rows, columns, include)}, es_aggs.cross_counts)
    if request.method == "keyword_counts":
        limit, terms = args
        wanted = list(dict.fromkeys(terms)) if terms is not None else None
        if wanted == []:
            return None
        return ({"query": query, "size": 0, "aggs": es_aggs.keyword_terms(limit, wanted)},
                es_aggs.keyword_counts)
    if request.method == "first_published":
        (group_by,) = args
        if group_by is None:
            return ({"query": query, "size": 0, "aggs": {"first": es_aggs.OLDEST}},
                    es_aggs.first_published)
        if group_by not in GROUP_FILTERS:
            raise ValueError(f"cannot group first_published by {group_by!r}; "
                             f"expected one of {tuple(GROUP_FILTERS)}")
        include = getattr(request.query, GROUP_FILTERS[group_by])
        return ({"query": query, "size": 0, "aggs": {"groups": {
            **es_aggs.group_terms(group_by, include), "aggs": {"first": es_aggs.OLDEST}}}},
            es_aggs.first_published)
    interval, group_by, offset = args
    if request.query.start is None or request.query.end is None:
        raise ValueError("trend needs query.start and query.end")
    grouped = group_by is not None
    return ({"query": query, "size": 0,
             "aggs": es_aggs.histogram(interval, group_by, offset)},
            lambda r: es_aggs.trend_points(r, grouped))


def _place(search: dict, names: dict[str, str], i: int, method: str, body: dict,
           extra: list[dict]) -> Callable[[dict], dict]:
    """Put request ``i``'s aggregations (``body``) into ``search`` and return what picks its
    own response (``hits`` and ``aggregations``, as a search of its own would answer) out of
    the search's: under a ``filter`` aggregation of ``extra`` (its narrowing filters beyond
    the search's query; shared by the requests with the same ones, its ``doc_count`` their
    total), a cross count's columns under the search's row aggregation of the same field, or
    the aggregations themselves, each name prefixed ``r<i>_``."""
    prefix, aggs = f"r{i}_", search["aggs"]
    if extra:
        name = names.setdefault(_json(extra), f"w{len(names)}")
        wrapper = aggs.setdefault(name, {"filter": {"bool": {"filter": extra}}})
        if body["aggs"]:
            wrapper.setdefault("aggs", {}).update(
                {prefix + k: agg for k, agg in body["aggs"].items()})

        def wrapped(response: dict) -> dict:
            found = response["aggregations"][name]
            return {"hits": {"total": {"value": found["doc_count"], "relation": "eq"}},
                    "aggregations": {k[len(prefix):]: v for k, v in found.items()
                                     if k.startswith(prefix)}}
        return wrapped
    if body.get("track_total_hits"):
        search["track_total_hits"] = True
    if method == "cross_count":  # one pass over the rows for every cross count of them
        outer = dict(body["aggs"]["groups"])
        inner = outer.pop("aggs")["inner"]
        name = names.setdefault(_json([outer]), f"rows{len(names)}")
        aggs.setdefault(name, {**outer, "aggs": {}})["aggs"][prefix] = inner

        def rows(response: dict) -> dict:
            return {"hits": response["hits"], "aggregations": {"groups": {"buckets": [
                {"key": row["key"], "doc_count": row["doc_count"], "inner": row[prefix]}
                for row in response["aggregations"][name]["buckets"]]}}}
        return rows
    aggs.update({prefix + k: agg for k, agg in body["aggs"].items()})

    def top(response: dict) -> dict:
        return {"hits": response["hits"], "aggregations": {
            k[len(prefix):]: v for k, v in response.get("aggregations", {}).items()
            if k.startswith(prefix)}}
    return top


def _json(clauses: list[dict]) -> str:
    return json.dumps(clauses, sort_keys=True, ensure_ascii=False)


def _search_error(url: str, response: dict) -> StoreError:
    """The error one failed search of a multi-search stands for, as ``translated_errors``
    words it for a single search."""
    status = response.get("status", 500)
    if status in NOT_READY_STATUSES:
        return StoreUnavailable(f"Elasticsearch at {url} is not ready ({status}): "
                                f"{response['error']}")
    return StoreError(f"Elasticsearch at {url} answered {status}: {response['error']}")
