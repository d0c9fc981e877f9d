"""The two deployments side by side (``python -m benchmarks scale``): a detection tick and
page latency with 100 entities × 20 sources, once on the embedded default (SQLite review store,
SQLite state) and once on the scale-out stores (Elasticsearch review store on a throw-away node,
PostgreSQL state on a throw-away cluster), the same reviews in both.

``KOUBEI_BENCH_SCALE_REVIEWS`` sets the stored size (default 200,000; the issue's size is
1,000,000). Reviews are spread over the 30 days before the run (so that the pages' default
ranges hold them), a fifth of them negative, each about one of 100 entities and from one of 20
sources. Both deployments are open from the start and each slice of ``LOAD_SLICE`` generated
reviews is upserted into both stores in turn (batches of ``LOAD_BATCH``, one transaction or bulk
request each), so a million reviews are generated once and never held in memory at once; the
time each store spent is its load rate. Queries start once the Elasticsearch node has finished
merging what the load wrote (as ``python -m benchmarks es``). The tick is
``run_detection`` (the full path: rule, incidents, state) with a ``negative_spike`` rule
grouped by entity, median of five ticks a minute apart after a first one (on Elasticsearch,
then five more reading group by group, as before ``models.store.grouped``); the pages are the
feed (``/``) and the trends page (``/trends``) as an admin signed in through the login form,
median of seven after one unmeasured.
"""
from __future__ import annotations

import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import yaml

from alerting.detect.tick import run_detection
from benchmarks.es_bench import _settle_node
from benchmarks.store_bench import WORDS
from benchmarks.table import Figure
from models.config import KoubeiConfig
from models.loader import parse_config
from models.review import Review, Sentiment, utcnow
from models.runtime import Runtime
from tests.es_node import ElasticsearchNode, distribution_available
from tests.pg_node import PostgresNode
from web.app import create_app
from web.runtime import PLUGINS, wire
from web.security import accounts

ENTITIES, SOURCES = 100, 20
LOAD_SLICE, LOAD_BATCH = 50_000, 5_000
NOW = utcnow().replace(microsecond=0)
PASSWORD = "bench-口碑-password"
RULE = dict(name="spike", type="negative_spike", window="10m", baseline="7d", min_count=5,
            p_value=1e-3, min_ratio=2.0, group_by="entity")


def reviews(n: int, first: int) -> list[Review]:
    rng = random.Random(first)
    labels = ["negative", "neutral", "positive"]
    out = []
    for i in range(first, first + n):
        tokens = rng.sample(WORDS, 6)
        out.append(Review.create(
            f"src{i % SOURCES}", f"n{i}", "".join(tokens), platform="bench",
            published_at=NOW - timedelta(seconds=rng.randrange(30 * 86400)),
            entities=[f"e{i % ENTITIES}"], topics=[rng.choice(["价格", "物流配送", "产品质量"])],
            tokens=tokens, sentiment=Sentiment(rng.choices(labels, weights=[2, 1, 7])[0], 0.0,
                                               "bench")))
    return out


def config(store: dict, state_url: str) -> KoubeiConfig:
    return parse_config(yaml.safe_dump({
        "store": store, "state_url": state_url, "rules": [RULE],
        "entities": [{"id": f"e{k}", "name": f"品牌{k}", "keywords": [f"品牌{k}"]}
                     for k in range(ENTITIES)],
        "users": [{"username": "admin", "role": "admin", "entities": ["*"]}]},
        allow_unicode=True), PLUGINS, "scale-bench")


def load(runtimes: dict[str, Runtime], n: int) -> dict[str, float]:
    """Upsert the same ``n`` reviews into every runtime's store, slice by slice; seconds each
    store spent."""
    spent = dict.fromkeys(runtimes, 0.0)
    for first in range(0, n, LOAD_SLICE):
        batch = reviews(min(LOAD_SLICE, n - first), first)
        for name, runtime in runtimes.items():
            began = time.perf_counter()
            runtime.store.upsert(batch)
            spent[name] += time.perf_counter() - began
        print(f"  {first + len(batch):,} of {n:,} loaded "
              f"({', '.join(f'{k} {v:.0f}s' for k, v in spent.items())})",
              file=sys.stderr, flush=True)
    return spent


def ticks(runtime: Runtime, first: int) -> float:
    """Median milliseconds of five detection ticks a minute apart after an unmeasured one,
    from ``first`` minutes after ``NOW``."""
    times = []
    for k in range(first, first + 6):
        began = time.perf_counter()
        run_detection(runtime, now=NOW + timedelta(minutes=k), channels={})
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times[1:])


def measure(runtime: Runtime) -> dict[str, float]:
    if hasattr(runtime.store, "refresh"):
        runtime.store.refresh()
    figures = {"tick": ticks(runtime, 0)}
    if runtime.store.batches_aggregations:
        # the same ticks reading group by group, as before ``GroupedReads`` (later minutes:
        # the remembered hourly counts stay warm, as they are for the batched ticks)
        runtime.store.batches_aggregations = False
        try:
            figures["tick by group"] = ticks(runtime, 6)
        finally:
            del runtime.store.batches_aggregations
    accounts.add_user(runtime.state, "admin", "admin", ["*"], PASSWORD)
    client = create_app(runtime, {"TESTING": True}).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True))[1]
    assert client.post("/login", data={"username": "admin", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    for page in ("/", "/trends"):
        times = []
        for k in range(8):
            began = time.perf_counter()
            assert client.get(page).status_code == 200
            times.append((time.perf_counter() - began) * 1000)
        figures[page] = statistics.median(times[1:])
    return figures


def run() -> list[Figure]:
    n = int(os.environ.get("KOUBEI_BENCH_SCALE_REVIEWS", "200000"))
    if not distribution_available():
        raise RuntimeError("no Elasticsearch distribution: run `make elasticsearch`")
    with tempfile.TemporaryDirectory(prefix="koubei-scale-") as scratch:
        es, pg = ElasticsearchNode(heap="1g"), PostgresNode()
        runtimes: dict[str, Runtime] = {}
        try:
            es.start()
            pg.start()
            for name in ("embedded", "scale-out"):
                (Path(scratch) / name).mkdir()
            prefix = f"bench-{uuid.uuid4().hex[:8]}"
            runtimes["embedded"] = wire(Runtime(config(
                {"backend": "sqlite", "options": {"batch_size": LOAD_BATCH}},
                f"sqlite:///{Path(scratch) / 'embedded' / 'state.db'}"),
                Path("bench.yaml"), Path(scratch) / "embedded"))
            runtimes["scale-out"] = wire(Runtime(config(
                {"backend": "elasticsearch", "options": {
                    "url": es.url, "index_prefix": prefix, "batch_size": LOAD_BATCH,
                    "request_timeout": 120}},
                pg.database()), Path("bench.yaml"), Path(scratch) / "scale-out"))
            print(f"loading {n:,} reviews into SQLite and Elasticsearch ...", file=sys.stderr)
            spent = load(runtimes, n)
            _settle_node(es.url, prefix)
            base = measure(runtimes["embedded"])
            ours = measure(runtimes["scale-out"])
        finally:
            for runtime in runtimes.values():
                runtime.close()
            es.stop()
            pg.stop()
    what = f"{ENTITIES} entities × {SOURCES} sources, {n:,} reviews"
    base_name = "embedded: SQLite store + SQLite state"
    return [Figure(f"load (upsert, batches of {LOAD_BATCH:,}), ES, {what}",
                   n / spent["scale-out"], "reviews/s", n / spent["embedded"],
                   "SQLite store, same reviews"),
            Figure(f"detection tick by entity, ES + PostgreSQL, {what}", ours["tick"], "ms",
                   base["tick"], base_name),
            Figure(f"detection tick by entity read group by group (before batching), ES + "
                   f"PostgreSQL, {what}", ours["tick by group"], "ms", base["tick"], base_name),
            Figure(f"feed page (/), ES + PostgreSQL, {what}", ours["/"], "ms", base["/"],
                   base_name),
            Figure(f"trends page (/trends), ES + PostgreSQL, {what}", ours["/trends"], "ms",
                   base["/trends"], base_name)]
