"""Brand-analytics latency at scale: every analytics page and API route (trends, compare,
channels, CX, hot words, the feed page with its count and its API) answered by the real app
through Flask's test client, signed in as an admin, on SQLite and on Elasticsearch holding the same
``KOUBEI_BENCH_ANALYTICS_REVIEWS`` reviews (3 brands, 5 sources, 30 days, ratings and
keywords; default 200,000; the issue's figure is at 1,000,000;
``KOUBEI_BENCH_ANALYTICS_BACKENDS=sqlite`` skips Elasticsearch, ``=es`` measures only
Elasticsearch, the SQLite store still loaded beside it). Both stores load at once, each
in its own thread, through ``upsert`` (so SQLite's roll-ups are maintained as in production).
``KOUBEI_BENCH_ANALYTICS_DATA=<dir>`` keeps the loaded stores there (SQLite under
``<dir>/n<reviews>``, Elasticsearch indices ``bench-<reviews>-*`` on the node that
``KOUBEI_ES_URL`` names) and reuses them on the next run, so a change can be measured again
without loading a million reviews twice.

Each figure is the p95 of ``RUNS`` requests (the window shifts by a second per run, and by
100 s per route, so no cache answers: a page never reuses its API route's answers), beside
the baseline: the bare query of the view's main aggregation sent straight to the backend
(``sqlite3`` SQL, or the ``elasticsearch`` client's search), also p95. Target: < 300 ms p95.
"""
from __future__ import annotations

import os
import queue
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from elasticsearch import Elasticsearch

from benchmarks.es_bench import LOAD_SLICE, _settle_node
from benchmarks.store_bench import NOW, synthetic_reviews
from benchmarks.table import Figure
from models.config import EntityConfig
from models.loader import parse_config
from models.runtime import DEMO_CONFIG, Runtime
from models.store.elasticsearch.store import ElasticsearchReviewStore
from models.store.sqlite.store import SQLiteReviewStore
from tests.es_node import drop_prefix
from web.runtime import PLUGINS

RUNS = 20
WARM_UP = 3
TARGET_MS = 300
KEYWORDS = "电池 发热 物流 很快 质量 太差 客服 态度 不错 价格 便宜 屏幕 清晰 拍照 好看 闪退".split()
ENTITIES = [EntityConfig(id=f"brand{i}", name=f"品牌{i}", keywords=[f"品牌{i}"]) for i in range(3)]


def _enrich(reviews) -> list:
    """Ratings and keywords on the store benchmark's synthetic reviews (seeded)."""
    rng = random.Random(len(reviews))
    for review in reviews:
        review.rating = rng.choice([1.0, 2.0, 3.0, 4.0, 5.0, 5.0, None])
        review.keywords = rng.sample(KEYWORDS, 3)
    return reviews


def _load(stores: dict, n: int) -> None:
    """The same ``n`` reviews into each store, ``LOAD_SLICE`` at a time: each store loads in a
    thread of its own (SQLite's writes and the Elasticsearch node's indexing overlap) from
    slices generated once, at most two slices ahead."""
    queues = {name: queue.Queue(maxsize=2) for name in stores}
    errors: list[BaseException] = []

    def load(name: str) -> None:
        while (reviews := queues[name].get()) is not None:
            try:
                stores[name].upsert(reviews)
            except BaseException as exc:  # reported by the generating thread
                errors.append(exc)
                return
    threads = [threading.Thread(target=load, args=(name,), daemon=True) for name in stores]
    for thread in threads:
        thread.start()
    for first in range(0, n, LOAD_SLICE):
        reviews = _enrich(synthetic_reviews(min(LOAD_SLICE, n - first), seed=first,
                                            first=first))
        for q in queues.values():
            q.put(reviews)
        print(f"  {first + len(reviews):,} of {n:,} generated", file=sys.stderr, flush=True)
        if errors:
            raise errors[0]
    for q in queues.values():
        q.put(None)
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1]


def _timed(fn) -> float:
    """p95 milliseconds of ``fn(i)`` over ``RUNS`` runs after ``WARM_UP`` unmeasured ones."""
    for i in range(WARM_UP):
        fn(1000 + i)
    times = []
    for i in range(RUNS):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    return _p95(times)


def _window(i: int, days: int) -> str:
    end = NOW - timedelta(seconds=i)
    return (f"since={quote((end - timedelta(days=days)).isoformat())}"
            f"&until={quote(end.isoformat())}")


# (name, path with {w30} / {w7} for the period)
ROUTES = [
    ("/api/trends 30 days by day", "/api/trends?{w30}&interval=day"),
    ("/trends page 30 days", "/trends?{w30}&interval=day"),
    ("/api/compare 3 brands 30 days", "/api/compare?entity=brand0,brand1,brand2&{w30}"),
    ("/compare page", "/compare?entity=brand0&entity=brand1&entity=brand2&{w30}"),
    ("/api/channels 30 days", "/api/channels?entity=brand0&{w30}"),
    ("/channels page", "/channels?entity=brand0&{w30}"),
    ("/api/cx 30 days", "/api/cx?entity=brand0&{w30}"),
    ("/cx page", "/cx?entity=brand0&{w30}"),
    ("/api/hotwords 7 days", "/api/hotwords?entity=brand0&{w7}"),
    ("/hotwords page", "/hotwords?entity=brand0&{w7}"),
    ("feed page, one brand, 7 days, with count", "/?entity=brand0&{w7}"),
    ("/api/reviews feed API, one brand, 7 days", "/api/reviews?entity=brand0&{w7}"),
]


def _bare_sqlite(path: Path) -> dict[str, callable]:
    con = sqlite3.connect(path)
    micros = lambda t: int((t - NOW).total_seconds() * 1e6) + int(NOW.timestamp() * 1e6)  # noqa: E731

    def span(i, days):
        end = NOW - timedelta(seconds=i)
        return micros(end - timedelta(days=days)), micros(end)

    def entity_sentiment(i):
        lo, hi = span(i, 30)
        return con.execute("SELECT entity, sentiment, COUNT(*) FROM review_entities WHERE entity "
                           "IN ('brand0','brand1','brand2') AND published_at >= ? AND "
                           "published_at < ? GROUP BY 1, 2", (lo, hi)).fetchall()

    def source_sentiment(i):
        lo, hi = span(i, 30)
        return con.execute("SELECT source, sentiment, COUNT(*) FROM review_entities WHERE "
                           "entity = 'brand0' AND published_at >= ? AND published_at < ? "
                           "GROUP BY 1, 2", (lo, hi)).fetchall()

    def daily(i):
        lo, hi = span(i, 30)
        return con.execute("SELECT published_at / 86400000000, sentiment, COUNT(*) FROM reviews "
                           "WHERE published_at >= ? AND published_at < ? GROUP BY 1, 2",
                           (lo, hi)).fetchall()

    def ratings(i):
        lo, hi = span(i, 30)
        return con.execute("SELECT CAST(rating + 0.5 AS INTEGER), COUNT(*) FROM "
                           "review_entities WHERE entity = 'brand0' AND published_at >= ? AND "
                           "published_at < ? GROUP BY 1", (lo, hi)).fetchall()

    def words(i):
        lo, hi = span(i, 7)
        return con.execute("SELECT k.keyword, COUNT(*) FROM review_entities e JOIN "
                           "review_keywords k ON k.review_id = e.review_id WHERE e.entity = "
                           "'brand0' AND e.published_at >= ? AND e.published_at < ? GROUP BY 1 "
                           "ORDER BY 2 DESC LIMIT 300", (lo, hi)).fetchall()

    def newest(i):
        lo, hi = span(i, 7)
        return con.execute("SELECT r.body FROM reviews r WHERE EXISTS (SELECT 1 FROM "
                           "review_entities x WHERE x.review_id = r.id AND x.entity = 'brand0') "
                           "AND r.published_at >= ? AND r.published_at < ? ORDER BY "
                           "r.published_at DESC LIMIT 50", (lo, hi)).fetchall()
    return {"trends": daily, "compare": entity_sentiment, "channels": source_sentiment,
            "cx": ratings, "hotwords": words, "feed": newest}


def _bare_es(store: ElasticsearchReviewStore) -> dict[str, callable]:
    client, index = store.client, store.names.alias

    def window(i, days, *filters):
        end = NOW - timedelta(seconds=i)
        return {"bool": {"filter": [{"range": {"published_at": {
            "gte": (end - timedelta(days=days)).isoformat(), "lt": end.isoformat()}}},
            *filters]}}
    brand0 = {"term": {"entities": "brand0"}}

    def terms(field, **extra):
        return {"terms": {"field": field, "size": 100, **extra}}

    def search(query, aggs, size=0, **kw):
        return client.search(index=index, query=query, aggs=aggs, size=size, **kw)
    return {
        "trends": lambda i: search(window(i, 30), {"d": {"date_histogram": {
            "field": "published_at", "fixed_interval": "1d"}, "aggs": {
            "s": terms("sentiment.label")}}}),
        "compare": lambda i: search(window(i, 30, {"terms": {"entities": [
            "brand0", "brand1", "brand2"]}}), {"e": {**terms("entities"), "aggs": {
                "s": terms("sentiment.label")}}}),
        "channels": lambda i: search(window(i, 30, brand0), {"e": {
            **terms("source"), "aggs": {"s": terms("sentiment.label")}}}),
        "cx": lambda i: search(window(i, 30, brand0), {"r": {"histogram": {
            "field": "rating", "interval": 1}}}),
        "hotwords": lambda i: search(window(i, 7, brand0), {"w": terms("keywords")}),
        "feed": lambda i: search(window(i, 7, brand0), None, size=50,
                                 sort=[{"published_at": "desc"}]),
    }


def _bare_for(name: str) -> str:
    for key in ("trends", "compare", "channels", "cx", "hotwords"):
        if key in name:
            return key
    return "feed"


def _measure(runtime: Runtime, bare: dict, label: str) -> list[Figure]:
    from web.app import create_app
    from web.security import accounts
    username = f"bench-{label}-{uuid.uuid4().hex[:6]}"  # a kept store's state has the last one
    accounts.add_user(runtime.state, username, "admin", ["*"], "bench-password-1")
    app = create_app(runtime, {"TESTING": True})
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": username, "password": "bench-password-1",
                                "csrf_token": token})
    figures = []
    for k, (name, path) in enumerate(ROUTES):
        shift = 100 * k  # seconds: no route (nor its baseline) reuses another's cached answer

        def call(i, path=path, shift=shift):
            url = path.format(w30=_window(i + shift, 30), w7=_window(i + shift, 7))
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code} {response.get_data()[:300]}")
        ours = _timed(call)
        baseline = _timed(lambda i, fn=bare[_bare_for(name)], shift=shift: fn(i + shift))
        figures.append(Figure(f"{label}: {name}", ours, "ms p95", baseline,
                              f"bare {_bare_for(name)} aggregation", f"< {TARGET_MS} ms",
                              ours < TARGET_MS))
        print(f"  {label} {name}: {ours:.0f} ms (bare {baseline:.0f} ms)", file=sys.stderr)
    return figures


def _runtime(home: Path, store) -> Runtime:
    config = parse_config(DEMO_CONFIG.read_text(encoding="utf-8"), PLUGINS, str(DEMO_CONFIG))
    config = config.model_copy(update={"entities": ENTITIES, "sources": [], "rules": [],
                                       "channels": [], "users": []})
    runtime = Runtime(config, DEMO_CONFIG, home)
    runtime.__dict__["store"] = store  # the store loaded here, not one opened from config
    return runtime


def _run(url: str | None, n: int) -> list[Figure]:
    kept = os.environ.get("KOUBEI_BENCH_ANALYTICS_DATA")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(kept) / f"n{n}" if kept else Path(tmp)
        stores = {"sqlite": SQLiteReviewStore(home / "sqlite", batch_size=5000)}
        prefix = f"bench-{n}" if kept else f"bench-{uuid.uuid4().hex[:6]}"
        if url:
            stores["es"] = ElasticsearchReviewStore(home / "es", url=url, index_prefix=prefix,
                                                    batch_size=5000, request_timeout=120)
        empty = {name: s for name, s in stores.items() if s.stats().reviews < n}
        print(f"loading {n:,} reviews into {', '.join(empty) or 'nothing (kept)'} ...",
              file=sys.stderr)
        started = time.perf_counter()
        if empty:
            _load(empty, n)
        print(f"  loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        figures = []
        try:
            if os.environ.get("KOUBEI_BENCH_ANALYTICS_BACKENDS") != "es":
                sqlite_rt = _runtime(home / "sqlite", stores["sqlite"])
                figures += _measure(sqlite_rt, _bare_sqlite(stores["sqlite"].path), "SQLite")
            if url:
                _settle_node(url, prefix)
                with Elasticsearch(url) as client:  # kept indices: no answer of an earlier run
                    client.indices.clear_cache(index=f"{prefix}-*", request=True)
                es_rt = _runtime(home / "es", stores["es"])
                figures += _measure(es_rt, _bare_es(stores["es"]), "ES")
        finally:
            for store in stores.values():
                store.close()
            if url and not kept:
                client = Elasticsearch(url)
                drop_prefix(client, prefix)
                client.close()
    return figures


def run(n: int | None = None) -> list[Figure]:
    n = n or int(os.environ.get("KOUBEI_BENCH_ANALYTICS_REVIEWS", "200000"))
    if os.environ.get("KOUBEI_BENCH_ANALYTICS_BACKENDS") == "sqlite":
        return _run(None, n)
    if os.environ.get("KOUBEI_ES_URL"):
        return _run(os.environ["KOUBEI_ES_URL"], n)
    from tests.es_node import ElasticsearchNode, distribution_available
    if not distribution_available():
        print("no Elasticsearch distribution: SQLite only", file=sys.stderr)
        return _run(None, n)
    node = ElasticsearchNode(heap="1g").start()
    try:
        return _run(node.url, n)
    finally:
        node.stop()
