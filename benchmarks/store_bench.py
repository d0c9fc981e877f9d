"""Embedded store speed: ingest, a detection window count and a 30-day hourly trend.

Baselines: a bare ``sqlite3`` ``executemany`` of the same rows into a table without indexes
(the floor for ingest), and a full-table ``COUNT(*)`` scan (what a query costs without the
store's indexes). Size: ``KOUBEI_BENCH_STORE_REVIEWS`` (default 100,000); ``python -m benchmarks
es`` also measures SQLite beside Elasticsearch at ``KOUBEI_BENCH_ES_REVIEWS``.
"""
from __future__ import annotations

import os
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from benchmarks.table import Figure
from models.review import Review, Sentiment
from models.store import ReviewQuery
from models.store.sqlite.store import SQLiteReviewStore

NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)
WORDS = "手机 电池 发热 物流 很快 质量 太差 客服 态度 不错 价格 便宜 屏幕 清晰 拍照 好看".split()


def synthetic_reviews(n: int, seed: int = 7, first: int = 0) -> list[Review]:
    """``n`` reviews numbered from ``first`` (slices with distinct ``first`` share no id)."""
    rng = random.Random(seed)
    labels = ["negative", "neutral", "positive"]
    out = []
    for i in range(first, first + n):
        tokens = rng.sample(WORDS, 6)
        label = rng.choices(labels, weights=[2, 1, 7])[0]
        out.append(Review.create(
            f"src{i % 5}", f"n{i}", "".join(tokens), platform="bench",
            published_at=NOW - timedelta(seconds=rng.randrange(30 * 86400)),
            entities=[f"brand{i % 3}"], topics=[rng.choice(["价格", "物流配送", "产品质量"])],
            tokens=tokens, sentiment=Sentiment(label, 0.0, "bench")))
    return out


def median_ms(fn, repeat: int = 7) -> float:
    """Median milliseconds of ``fn(i)`` over ``repeat`` runs (``i`` is the run's number)."""
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run(n: int | None = None) -> list[Figure]:
    n = n or int(os.environ.get("KOUBEI_BENCH_STORE_REVIEWS", "100000"))
    reviews = synthetic_reviews(n)
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteReviewStore(Path(tmp))
        start = time.perf_counter()
        store.upsert(reviews)
        ours = n / (time.perf_counter() - start)

        bare = sqlite3.connect(Path(tmp) / "bare.db", isolation_level=None)
        bare.execute("PRAGMA journal_mode=WAL")
        bare.execute("CREATE TABLE r (id TEXT, body TEXT, published_at TEXT, label TEXT)")
        rows = [(r.id, r.text, r.published_at.isoformat(), r.sentiment.label) for r in reviews]
        start = time.perf_counter()
        bare.execute("BEGIN")
        bare.executemany("INSERT INTO r VALUES (?, ?, ?, ?)", rows)
        bare.execute("COMMIT")
        floor = n / (time.perf_counter() - start)

        window = ReviewQuery(sentiments=("negative",), start=NOW - timedelta(minutes=10), end=NOW)
        count_ms = median_ms(lambda _: store.count(window, group_by="entity"))
        month = ReviewQuery(start=NOW - timedelta(days=30), end=NOW)
        trend_ms = median_ms(lambda _: store.trend(month, timedelta(hours=1), "sentiment"), 3)
        scan_ms = median_ms(lambda _: bare.execute("SELECT label, COUNT(*) FROM r GROUP BY label")
                             .fetchall(), 3)
        bare.close()
        store.close()
    return [
        Figure(f"SQLite ingest ({n:,} reviews)", ours, "reviews/s", floor,
               "bare executemany, no indexes"),
        Figure(f"SQLite detection window count ({n:,})", count_ms, "ms", scan_ms,
               "full-table group-by scan", "< 1,000 ms", count_ms < 1000),
        Figure(f"SQLite 30-day hourly trend ({n:,})", trend_ms, "ms", scan_ms,
               "full-table group-by scan"),
    ]
