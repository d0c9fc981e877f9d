"""The snapshot store a backtest reads answers every read as the SQLite store does over its
period: counts (each grouping), trends, search pages, streams and keyword counts."""
from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import timedelta

import pytest

from models.review import Sentiment
from models.store import GROUP_FIELDS, ReviewQuery
from models.store.snapshot import HELD, SnapshotStore
from tests.factories import BASE_TIME, make_review

SOURCES = ("weibo", "tmall", "jd")
ENTITIES = ("yunque", "xiaomi", "huawei")
TOPICS = ("物流配送", "功能性能", "售后服务", "价格")
START, END = BASE_TIME + timedelta(hours=2), BASE_TIME + timedelta(hours=30)


@pytest.fixture
def stores(runtime):
    rng = random.Random(5)
    reviews = []
    for i in range(600):
        label = rng.choice(["negative", "neutral", "positive", None])
        topics = rng.sample(TOPICS, rng.randint(0, 2))
        reviews.append(make_review(
            source=rng.choice(SOURCES), published_at=BASE_TIME + timedelta(minutes=3 * i),
            entities=rng.sample(ENTITIES, rng.randint(1, 2)), topics=topics,
            aspects=[(t, rng.choice(["negative", "positive"])) for t in topics],
            keywords=rng.sample(["电池", "屏幕", "客服", "快递"], rng.randint(0, 2)),
            rating=rng.choice([None, 1.0, 2.0, 3.0, 4.4, 4.5, 5.0]),
            likes=rng.choice([0, 0, 3, 40, 120]), reposts=rng.choice([0, 0, 15]),
            sentiment=Sentiment(label, 0.0, "m") if label else None))
    # two reviews at one instant: the order of ties
    reviews.append(make_review(published_at=START + timedelta(hours=1), native_id="tie-a"))
    reviews.append(make_review(published_at=START + timedelta(hours=1), native_id="tie-b"))
    runtime.store.upsert(reviews)
    return runtime.store, SnapshotStore(runtime.store, START, END)


def queries():
    spans = [(START, END), (START + timedelta(hours=3), START + timedelta(hours=5, minutes=7)),
             (START - timedelta(hours=1), START + timedelta(hours=1)),  # reaches before it
             (START + timedelta(hours=27), END + timedelta(hours=5))]
    filters = [{}, {"sources": ("weibo",)}, {"entities": ("yunque",)},
               {"entities": ("yunque", "xiaomi")}, {"sentiments": ("negative",)},
               {"topics": ("物流配送",), "sentiments": ("negative", "neutral")},
               {"aspects": ("价格:negative",)}, {"keywords": ("电池",)},
               {"sources": ("jd", "tmall"), "entities": ("huawei",), "topics": ("价格",)},
               {"min_reach": 40}, {"min_reach": 100, "sentiments": ("negative",)}]
    for (start, end), f in itertools.product(spans, filters):
        yield ReviewQuery(start=max(start, START), end=min(end, END), **f)


def ordered(points):
    return sorted(points, key=lambda p: (p.bucket, str(p.key)))


def test_counts_and_trends_match_the_store(stores):
    store, snapshot = stores
    for query in queries():
        assert snapshot.count(query) == store.count(query), query
        for field in GROUP_FIELDS:
            assert snapshot.count(query, field) == store.count(query, field), (query, field)
        for interval, field in ((timedelta(hours=1), None), (timedelta(minutes=20), None),
                                (timedelta(hours=1), "sentiment"), (timedelta(hours=3), "topic"),
                                (timedelta(hours=1), "rating"), (timedelta(hours=2), "entity")):
            # within a bucket the stores may list the groups in any order
            assert ordered(snapshot.trend(query, interval, field)) == \
                ordered(store.trend(query, interval, field)), (query, interval, field)
        assert snapshot.keyword_counts(query) == store.keyword_counts(query)
        assert snapshot.keyword_counts(query, terms=["电池", "无"]) == \
            store.keyword_counts(query, terms=["电池", "无"])


def paged(store, query) -> list[str]:
    """The ids ``store.search`` lists for ``query``, following its cursor page by page."""
    ids, cursor = [], None
    while True:
        page = store.search(query, limit=37, cursor=cursor)
        ids += [r.id for r in page.reviews]
        cursor = page.cursor
        if cursor is None:
            return ids


def test_search_pages_and_streams_match_the_store(stores):
    store, snapshot = stores
    for query in queries():
        assert paged(snapshot, query) == paged(store, query)
        assert [r.id for r in snapshot.iter_reviews(query)] == \
            [r.id for r in store.iter_reviews(query)]


def test_a_query_setting_a_field_it_does_not_hold_is_answered_by_the_backing_store(stores):
    store, snapshot = stores
    assert "q" not in HELD  # full text: the backing store's index answers it
    # every review's tokens hold 手机 and none 电池 (a snapshot ignoring ``q`` would count some)
    for text, query in itertools.product(("手机", "电池"), itertools.islice(queries(), 0, None, 4)):
        query = replace(query, q=text)
        assert snapshot.count(query) == store.count(query), query
        assert snapshot.count(query, "entity") == store.count(query, "entity"), query
        assert snapshot.trend(query, timedelta(hours=1), "sentiment") == \
            store.trend(query, timedelta(hours=1), "sentiment"), query
        assert snapshot.keyword_counts(query) == store.keyword_counts(query), query
        assert [r.id for r in snapshot.iter_reviews(query)] == \
            [r.id for r in store.iter_reviews(query)], query
        assert paged(snapshot, query) == paged(store, query), query
    # passed on with the period clamped to the snapshot's
    everything = ReviewQuery(q="手机")
    assert snapshot.count(everything) == store.count(replace(everything, start=START, end=END))
    assert snapshot.count(everything) != store.count(everything)
    with pytest.raises(ValueError):
        snapshot.search(everything, cursor="snapshot:5")


def test_outside_its_period_a_snapshot_sees_nothing_and_refuses_writes(stores):
    store, snapshot = stores
    before = ReviewQuery(start=BASE_TIME, end=START)
    assert store.count(before)[None] > 0 and snapshot.count(before)[None] == 0
    assert snapshot.feed().reviews == [] and snapshot.stats().reviews == store.count(
        ReviewQuery(start=START, end=END))[None]
    with pytest.raises(TypeError):
        snapshot.upsert([make_review()])
    with pytest.raises(ValueError):
        snapshot.search(ReviewQuery(), cursor="search:1:2")
