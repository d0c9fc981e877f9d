"""alerting.detect.hourly_counts: settled hours remembered per store and filter, never mixed up."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from alerting.detect.hourly_counts import hourly_counts
from models.store import ReviewQuery
from tests.alerting.conftest import NOW, add_series


def plain(reviews, aspect: str) -> dict:
    """Counts per hour (all, negative) of the reviews with ``aspect``, one by one."""
    hours = Counter()
    negatives = Counter()
    for r in reviews:
        if aspect in {f"{t}:{p}" for t, p in r.aspects}:
            hour = r.published_at.replace(minute=0, second=0, microsecond=0)
            hours[hour] += 1
            negatives[hour] += r.sentiment.label == "negative"
    return {h: (n, negatives[h]) for h, n in hours.items()}


def test_groups_that_differ_only_by_aspect_get_their_own_counts(runtime):
    store = runtime.store
    start = NOW - timedelta(days=2)
    add_series(store, start, NOW, timedelta(minutes=20), aspects=[("物流配送", "negative")])
    add_series(store, start, NOW, timedelta(minutes=30), label="positive",
               aspects=[("价格", "positive")])
    reviews = list(store.iter_reviews())
    for aspect in ("物流配送:negative", "价格:positive", "物流配送:negative"):  # cached again
        span = ReviewQuery(aspects=(aspect,), start=start, end=NOW)
        assert hourly_counts(store, span) == plain(reviews, aspect), aspect
