"""Elasticsearch store speed on one local node, beside its baselines measured in the same run.

- Bulk ingest of enriched reviews through ``ElasticsearchReviewStore.upsert`` against the
  client's own ``helpers.bulk`` writing the same documents to the same kind of indices
  (target: >= 10,000 reviews/s and within 1.2x of ``helpers.bulk``'s time); the median of
  ``INGEST_ROUNDS`` rounds, each running both.
- At ``KOUBEI_BENCH_ES_REVIEWS`` stored reviews (default 200,000, which loads in minutes on a
  2-core machine; the issue's figure is at 1,000,000): the 30-day hourly trend by
  sentiment and a 10-minute detection window count, medians for Elasticsearch and for SQLite
  holding the same reviews (target: < 100 ms each on Elasticsearch). The queries start once
  the node has finished merging what the load wrote, after a few unmeasured ones (as
  Rally's warm-up iterations); each repetition shifts the time range by a second so that the
  node's request cache cannot answer from memory.
- The same figures for SQLite at that size (ingest rate, window count, trend), beside
  Elasticsearch's, so users can see when to switch.

The node is ``KOUBEI_ES_URL`` when set, else a throw-away node from ``tests.es_node``.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from elasticsearch import Elasticsearch, helpers

from benchmarks.store_bench import NOW, median_ms, synthetic_reviews
from benchmarks.table import Figure
from models.store import ReviewQuery
from models.store.elasticsearch.mapping import IndexNames, template_body
from models.store.elasticsearch.store import ElasticsearchReviewStore
from models.store.sqlite.store import SQLiteReviewStore
from tests.es_node import drop_prefix  # the throw-away node module, shared with the tests

INGEST_N = 50_000
BATCH = 5_000
LOAD_SLICE = 100_000
WARM_UP = 10_000
INGEST_ROUNDS = 3
WARM_UP_QUERIES = 3
QUERY_RUNS = 15


def _ingest(url: str, home: Path, reviews) -> tuple[float, float]:
    """Seconds for our upsert and for ``helpers.bulk`` of the same documents."""
    client = Elasticsearch(url, request_timeout=120)
    ours_prefix, theirs_prefix = f"bench-{uuid.uuid4().hex[:6]}", f"bench-{uuid.uuid4().hex[:6]}"
    try:
        store = ElasticsearchReviewStore(home, url=url, index_prefix=ours_prefix,
                                         batch_size=BATCH, request_timeout=120)
        start = time.perf_counter()
        store.upsert(reviews)
        ours = time.perf_counter() - start
        store.close()

        names = IndexNames(theirs_prefix)
        client.indices.put_index_template(name=names.template, **template_body(names))
        actions = ({"_index": names.monthly(r.published_at), "_id": r.id, "_source": r.to_dict()}
                   for r in reviews)
        start = time.perf_counter()
        helpers.bulk(client, actions, chunk_size=BATCH)
        client.indices.refresh(index=names.pattern)
        theirs = time.perf_counter() - start
    finally:
        drop_prefix(client, ours_prefix)
        drop_prefix(client, theirs_prefix)
        client.close()
    return ours, theirs


def _settle_node(url: str, prefix: str, timeout: float = 300.0) -> None:
    """Wait until the node has finished merging the segments the load left: queries during
    those merges would measure a million-review bulk load's aftermath, not the query."""
    client, pattern = Elasticsearch(url, request_timeout=120), IndexNames(prefix).pattern
    try:
        client.indices.refresh(index=pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            stats = client.indices.stats(index=pattern, metric="merge")
            if stats["_all"]["total"]["merges"]["current"] == 0:
                return
            time.sleep(1)
    finally:
        client.close()


def _queries(store) -> tuple[float, float]:
    def window(i: int):
        end = NOW - timedelta(seconds=i)
        return store.count(ReviewQuery(sentiments=("negative",), start=end - timedelta(minutes=10),
                                       end=end), group_by="entity")

    def trend(i: int):
        end = NOW - timedelta(seconds=i)
        return store.trend(ReviewQuery(start=end - timedelta(days=30), end=end),
                           timedelta(hours=1), "sentiment")
    for i in range(WARM_UP_QUERIES):  # JIT and per-refresh caches (global ordinals) warm up
        window(100 + i), trend(100 + i)
    return median_ms(window, QUERY_RUNS), median_ms(trend, QUERY_RUNS)


def _load(stores: dict, n: int) -> dict[str, float]:
    """Upsert the same ``n`` synthetic reviews into each store, in slices of ``LOAD_SLICE``
    (so that a million reviews never sit in memory at once); seconds spent per store."""
    spent = dict.fromkeys(stores, 0.0)
    for first in range(0, n, LOAD_SLICE):
        reviews = synthetic_reviews(min(LOAD_SLICE, n - first), seed=first, first=first)
        for name, store in stores.items():
            start = time.perf_counter()
            store.upsert(reviews)
            spent[name] += time.perf_counter() - start
        print(f"  {first + len(reviews):,} of {n:,} loaded", file=sys.stderr, flush=True)
    return spent


def _run(url: str, n: int) -> list[Figure]:
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        sample = synthetic_reviews(INGEST_N, seed=11)
        # a fresh node runs its first bulk requests several times slower (JIT warm-up), which
        # would penalise whichever path goes first: warm both paths up, then measure
        _ingest(url, home / "warm-up", sample[:WARM_UP])
        # both paths in turn, INGEST_ROUNDS times: the node's merges and the machine's other
        # work make one round noisy; the figures are the median round of each
        rounds = [_ingest(url, home / f"round-{k}", sample) for k in range(INGEST_ROUNDS)]
        ours = statistics.median(r[0] for r in rounds)
        theirs = statistics.median(r[1] for r in rounds)
        del sample
        rate = INGEST_N / ours
        figures.append(Figure(f"ES bulk ingest ({INGEST_N:,} reviews)", rate, "reviews/s",
                              INGEST_N / theirs, "client helpers.bulk, same documents",
                              ">= 10,000/s and <= 1.2x helpers.bulk time",
                              rate >= 10_000 and ours <= 1.2 * theirs))

        print(f"loading {n:,} reviews into Elasticsearch and SQLite ...", file=sys.stderr)
        prefix = f"bench-{uuid.uuid4().hex[:6]}"
        store = ElasticsearchReviewStore(home, url=url, index_prefix=prefix, batch_size=BATCH,
                                         request_timeout=120)
        sqlite = SQLiteReviewStore(home)
        try:
            spent = _load({"es": store, "sqlite": sqlite}, n)
            _settle_node(url, prefix)
            es_window, es_trend = _queries(store)
            sq_window, sq_trend = _queries(sqlite)
        finally:
            client = Elasticsearch(url)
            drop_prefix(client, prefix)
            client.close()
            store.close()
            sqlite.close()
    es_rate, sq_rate = n / spent["es"], n / spent["sqlite"]
    figures += [
        Figure(f"ES load of {n:,} reviews (upsert)", es_rate, "reviews/s", sq_rate,
               "SQLite, same reviews"),
        Figure(f"ES detection window count ({n:,})", es_window, "ms", sq_window,
               "SQLite, same reviews", "< 100 ms", es_window < 100),
        Figure(f"ES 30-day hourly trend by sentiment ({n:,})", es_trend, "ms", sq_trend,
               "SQLite, same reviews", "< 100 ms", es_trend < 100),
        # the same figures for the embedded store, so users can see when to switch
        Figure(f"SQLite ingest ({n:,} reviews)", sq_rate, "reviews/s", es_rate,
               "Elasticsearch, same reviews"),
        Figure(f"SQLite detection window count ({n:,})", sq_window, "ms", es_window,
               "Elasticsearch, same reviews"),
        Figure(f"SQLite 30-day hourly trend by sentiment ({n:,})", sq_trend, "ms", es_trend,
               "Elasticsearch, same reviews"),
    ]
    return figures


def run(n: int | None = None) -> list[Figure]:
    n = n or int(os.environ.get("KOUBEI_BENCH_ES_REVIEWS", "200000"))
    if os.environ.get("KOUBEI_ES_URL"):
        return _run(os.environ["KOUBEI_ES_URL"], n)
    from tests.es_node import ElasticsearchNode  # the same throw-away node the tests use
    node = ElasticsearchNode(heap="1g").start()
    try:
        return _run(node.url, n)
    finally:
        node.stop()
