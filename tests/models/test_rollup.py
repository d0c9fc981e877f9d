"""Aggregated reads equal a direct count over the raw reviews, on both backends: SQLite
answers whole hours from its roll-ups (``models.store.sqlite.rollup``) and the ends of a window
from the reviews; Elasticsearch answers from aggregations. Checked on a varied set of reviews
(several brands and topics per review, no sentiment, no rating, keywords), then again after
late-arriving reviews and after reviews are re-labelled, moved in time and re-attributed."""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from models.review import Sentiment
from models.store import Aggregation, ReviewQuery, aspect_key, rating_key
from models.store.base import stable_json
from models.store.elasticsearch.store import ElasticsearchReviewStore
from models.store.sqlite import rollup
from models.store.sqlite.store import SQLiteReviewStore
from tests.factories import BASE_TIME, make_review

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ENTITIES = ["a", "b", "c", 'q"u,o']  # the last one tries to fake a set member boundary
TOPICS = ["价格", "物流配送", "产品质量", "客服态度"]
WORDS = ["电池", "发热", "物流", "很快", "客服", "不错"]
SCALARS = {"sentiment": lambda r: r.sentiment.label if r.sentiment else None,
           "source": lambda r: r.source, "platform": lambda r: r.platform,
           "rating": lambda r: rating_key(r.rating)}
MULTI = {"entity": ("entities", lambda r: r.entities), "topic": ("topics", lambda r: r.topics),
         "aspect": ("aspects", lambda r: [aspect_key(*a) for a in r.aspects])}


def varied(rng: random.Random, n: int, first: int = 0) -> list:
    out = []
    for i in range(first, first + n):
        label = rng.choice(["negative", "neutral", "positive", None])
        out.append(make_review(
            native_id=f"v{i}", source=rng.choice(["s1", "s2", "s3"]),
            platform=rng.choice(["appstore", "forum"]),
            published_at=BASE_TIME + timedelta(seconds=rng.randrange(3 * 86400)),
            entities=rng.sample(ENTITIES, rng.choice([0, 1, 1, 2, 3])),
            topics=rng.sample(TOPICS, rng.choice([0, 1, 1, 2])),
            aspects=[(rng.choice(TOPICS), "negative")] if rng.random() < 0.3 else [],
            keywords=rng.sample(WORDS, rng.choice([0, 2, 3])),
            rating=rng.choice([None, 1.0, 2.5, 3.0, 4.4, 4.5, 5.0]),
            sentiment=None if label is None else Sentiment(label, 0.0, "t")))
    return out


# -- the direct count over the raw reviews ---------------------------------------------------
def matches(review, q: ReviewQuery) -> bool:
    label = SCALARS["sentiment"](review)
    return ((not q.sources or review.source in q.sources)
            and (not q.entities or set(review.entities) & set(q.entities))
            and (not q.sentiments or label in q.sentiments)
            and (not q.topics or set(review.topics) & set(q.topics))
            and (not q.keywords or set(review.keywords) & set(q.keywords))
            and (q.start is None or review.published_at >= q.start)
            and (q.end is None or review.published_at < q.end))


def values(review, field: str, q: ReviewQuery | None = None) -> list:
    if field in SCALARS:
        return [SCALARS[field](review)]
    name, get = MULTI[field]
    found = sorted(set(get(review)))
    wanted = getattr(q, name) if q is not None else ()
    return [v for v in found if v in wanted] if wanted else found


def direct_count(reviews, q, group_by=None):
    hits = [r for r in reviews if matches(r, q)]
    if group_by is None:
        return {None: len(hits)}
    return dict(Counter(v for r in hits for v in values(r, group_by)))


def direct_cross(reviews, q, rows, columns):
    return dict(Counter((a, b) for r in reviews if matches(r, q)
                        for a in values(r, rows, q) for b in values(r, columns, q)))


def direct_trend(reviews, q, step, group_by=None, offset=timedelta(0)):
    origin = EPOCH + offset % step

    def bucket(r):
        return origin + (r.published_at - origin) // step * step
    counts = Counter((bucket(r), v) for r in reviews if matches(r, q)
                     for v in (values(r, group_by) if group_by else [None]))
    return sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1] is not None, kv[0][1] or ""))


def direct_words(reviews, q, limit, terms=None):
    counts = Counter(w for r in reviews if matches(r, q) for w in set(r.keywords))
    found = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return dict(found[:limit] if terms is None else [kv for kv in found if kv[0] in terms])


# -- the reads checked ----------------------------------------------------------------------
WINDOWS = [
    (BASE_TIME, BASE_TIME + timedelta(days=3)),                                  # whole hours
    (BASE_TIME + timedelta(minutes=17, seconds=3), BASE_TIME + timedelta(days=2, minutes=41)),
    (BASE_TIME + timedelta(hours=5, minutes=1), BASE_TIME + timedelta(hours=5, minutes=59)),
    (BASE_TIME + timedelta(hours=30, seconds=1), BASE_TIME + timedelta(days=3, hours=2)),
]
QUERIES = [
    ReviewQuery(), ReviewQuery(entities=("a",)), ReviewQuery(entities=("a", "b")),
    ReviewQuery(entities=("b", 'q"u,o'), sources=("s1", "s3")),
    ReviewQuery(entities=("c",), sentiments=("negative",)),
    ReviewQuery(entities=("a", "c"), topics=("价格", "客服态度")),
    ReviewQuery(topics=("物流配送",), sentiments=("negative", "neutral")),
    ReviewQuery(entities=("a",), keywords=("电池",)),
]
# (interval, offset) of the trends checked: UTC days and hours, the days of UTC+8 (from 16:00
# UTC), the hours of UTC+5:30, a negative offset
STEPS = [(timedelta(hours=1), timedelta(0)), (timedelta(hours=6), timedelta(0)),
         (timedelta(minutes=20), timedelta(0)), (timedelta(days=1), timedelta(0)),
         (timedelta(days=1), timedelta(hours=16)), (timedelta(hours=1), timedelta(minutes=30)),
         (timedelta(hours=6), timedelta(hours=-1))]
PAIRS = [("entity", "sentiment"), ("entity", "rating"), ("entity", "topic"),
         ("source", "sentiment"), ("source", "rating"), ("platform", "sentiment"),
         ("topic", "rating"), ("sentiment", "rating")]


def check_all(store, reviews) -> None:
    for start, end in WINDOWS:
        for base in QUERIES:
            q = replace(base, start=start, end=end)
            for group_by in (None, "sentiment", "rating", "entity", "topic", "source"):
                assert store.count(q, group_by) == direct_count(reviews, q, group_by), \
                    (q, group_by)
            for rows, columns in PAIRS:
                assert store.cross_count(q, rows, columns) == direct_cross(
                    reviews, q, rows, columns), (q, rows, columns)
            for step, offset in STEPS:
                for group_by in (None, "sentiment", "entity", "rating"):
                    got = [((p.bucket, p.key), p.count)
                           for p in store.trend(q, step, group_by, offset)]
                    assert got == direct_trend(reviews, q, step, group_by, offset), \
                        (q, step, offset, group_by)
            if not q.keywords:
                assert store.keyword_counts(q, 3) == direct_words(reviews, q, 3), q
                assert store.keyword_counts(q, terms=["电池", "客服", "无"]) == direct_words(
                    reviews, q, 3, ["电池", "客服", "无"]), q


def exercise(store) -> None:
    rng = random.Random(16)
    reviews = varied(rng, 400)
    store.upsert(reviews)
    check_all(store, reviews)

    late = varied(rng, 60, first=400)  # published inside hours already counted
    store.upsert(late)
    reviews += late
    check_all(store, reviews)

    for review in rng.sample(reviews, 80):  # re-labelled, moved, re-attributed, re-rated
        review.sentiment = Sentiment(rng.choice(["negative", "positive"]), 0.0, "t2")
        review.published_at += timedelta(minutes=rng.randrange(-600, 600))
        review.entities = rng.sample(ENTITIES, rng.choice([0, 1, 2]))
        review.topics = rng.sample(TOPICS, 1)
        review.keywords = rng.sample(WORDS, 2)
        review.rating = rng.choice([None, 2.0, 5.0])
    store.upsert(reviews)
    check_all(store, reviews)

    read = {r.id: stable_json(r.to_dict())[1] for r in reviews}
    for review in rng.sample(reviews, 120):  # re-analysed in place (``koubei reanalyze``)
        label = rng.choice(["negative", "neutral", "positive", None])
        review.sentiment = None if label is None else Sentiment(label, 0.0, "t3")
        review.topics = rng.sample(TOPICS, rng.choice([0, 1, 2]))
        review.aspects = [(rng.choice(TOPICS), "negative")] if rng.random() < 0.5 else []
    store.relabel([(read[r.id], r) for r in reviews])
    check_all(store, reviews)


def test_sqlite_rollups_equal_the_raw_counts(tmp_path):
    store = SQLiteReviewStore(tmp_path)
    try:
        exercise(store)
        con = store._con()
        assert con.execute("SELECT SUM(n) FROM rollup_sentiment").fetchone()[0] == 460
        assert con.execute("SELECT SUM(n) FROM rollup_day_sentiment").fetchone()[0] == 460
        assert con.execute("SELECT COUNT(*) FROM rollup_rating WHERE n <= 0").fetchone()[0] == 0
    finally:
        store.close()


def test_elasticsearch_aggregations_equal_the_raw_counts(tmp_path, es_url, es_prefix):
    store = ElasticsearchReviewStore(tmp_path, url=es_url, index_prefix=es_prefix)
    try:
        exercise(store)
    finally:
        store.close()


def test_sqlite_reads_whole_hours_from_the_rollups_and_not_the_reviews(tmp_path):
    store = SQLiteReviewStore(tmp_path)
    try:
        store.upsert(varied(random.Random(1), 50))
        seen: list[str] = []
        store._con().set_trace_callback(seen.append)
        q = ReviewQuery(entities=("a", "b"), start=BASE_TIME, end=BASE_TIME + timedelta(days=3))
        store.cross_count(q, "entity", "rating")
        store.trend(q, timedelta(hours=1), "sentiment")
        assert seen and all("rollup_" in s for s in seen if "SELECT" in s)
        assert any("rollup_day_rating" in s for s in seen)  # the whole days, counted per day
        assert not any("review_entities" in s or "FROM reviews" in s for s in seen)
        assert rollup.cuboid_for(replace(q, q="物流"), "sentiment") is None
    finally:
        store.close()


def test_a_version_4_store_gets_its_rollups_counted_from_the_reviews(tmp_path):
    reviews = varied(random.Random(2), 120)
    store = SQLiteReviewStore(tmp_path)
    store.upsert(reviews)
    con = store._con()
    for table in rollup.ROLLUP_TABLES:
        con.execute(f"DROP TABLE {table}")
    con.execute("PRAGMA user_version=4")
    store.close()
    store = SQLiteReviewStore(tmp_path)
    try:
        q = ReviewQuery(start=BASE_TIME, end=BASE_TIME + timedelta(days=3))
        assert store.count(q, "entity") == direct_count(reviews, q, "entity")
        assert store._con().execute("SELECT SUM(n) FROM rollup_rating").fetchone()[0] == 120
    finally:
        store.close()


@pytest.mark.parametrize("values_", [["a"], ["b", "a", "b"], [], ['q"u,o', "a"], ["", ","]])
def test_set_keys_read_back_as_the_set(values_):
    assert rollup.members(rollup.set_key(values_), {}) == sorted(set(values_))


def test_elasticsearch_asks_a_batch_in_one_multi_search_one_search_per_query(
        tmp_path, es_url, es_prefix, monkeypatch):
    """Reads that differ only in topics, sentiments or keywords share one search (each in a
    filter aggregation of its own); a narrowing filter all of a search's reads share stays in
    its query."""
    store = ElasticsearchReviewStore(tmp_path, url=es_url, index_prefix=es_prefix)
    try:
        reviews = varied(random.Random(3), 160)
        store.upsert(reviews)
        sent = []
        original = store.client.msearch
        monkeypatch.setattr(store.client, "msearch", lambda **kw: sent.append(kw["searches"])
                            or original(**kw))
        now = ReviewQuery(entities=("a",), start=BASE_TIME, end=BASE_TIME + timedelta(days=2))
        stage = replace(now, topics=("价格", "物流配送"))
        negative = replace(now, sentiments=("negative",))
        before = replace(now, end=BASE_TIME + timedelta(days=1), sentiments=("negative",))
        requests = [Aggregation("count", now), Aggregation("count", now, ("rating",)),
                    Aggregation("cross_count", now, ("source", "sentiment")),
                    Aggregation("trend", now, (timedelta(hours=1), "entity")),
                    Aggregation("count", stage), Aggregation("count", stage, ("sentiment",)),
                    Aggregation("trend", stage, (timedelta(days=1), "rating",
                                                 timedelta(hours=16))),
                    Aggregation("cross_count", negative, ("entity", "topic")),
                    Aggregation("count", replace(negative, keywords=("电池",))),
                    Aggregation("count", before, ("sentiment",)),
                    Aggregation("count", replace(before, topics=tuple(TOPICS))),
                    Aggregation("cross_count", now, ("source", "rating")),  # rows shared
                    Aggregation("cross_count", now, ("entity", "topic")),
                    Aggregation("cross_count", now, ("entity", "rating"))]
        answers = store.aggregate(requests)
        assert len(sent) == 1 and len(sent[0]) == 4  # two searches: a header and body each
        assert {"terms": {"sentiment.label": ["negative"]}} in \
            sent[0][3]["query"]["bool"]["filter"]  # shared by both reads of ``before``
        assert answers == [direct_count(reviews, now), direct_count(reviews, now, "rating"),
                           direct_cross(reviews, now, "source", "sentiment"),
                           store.trend(now, timedelta(hours=1), "entity"),
                           direct_count(reviews, stage), direct_count(reviews, stage, "sentiment"),
                           store.trend(stage, timedelta(days=1), "rating", timedelta(hours=16)),
                           direct_cross(reviews, negative, "entity", "topic"),
                           direct_count(reviews, replace(negative, keywords=("电池",))),
                           direct_count(reviews, before, "sentiment"),
                           direct_count(reviews, replace(before, topics=tuple(TOPICS))),
                           direct_cross(reviews, now, "source", "rating"),
                           direct_cross(reviews, now, "entity", "topic"),
                           direct_cross(reviews, now, "entity", "rating")]
        first = sent[0][1]["aggs"]  # one filter per set of narrowing filters, one per rows
        assert len([name for name in first if name.startswith("rows")]) == 2
        assert [a["filter"]["bool"]["filter"] for a in first.values() if "filter" in a] == [
            [{"terms": {"topics": ["价格", "物流配送"]}}],
            [{"terms": {"sentiment.label": ["negative"]}}],
            [{"terms": {"sentiment.label": ["negative"]}}, {"terms": {"keywords": ["电池"]}}]]
        assert [((p.bucket, p.key), p.count) for p in answers[3]] == direct_trend(
            reviews, now, timedelta(hours=1), "entity")
        assert [((p.bucket, p.key), p.count) for p in answers[6]] == direct_trend(
            reviews, stage, timedelta(days=1), "rating", timedelta(hours=16))
        assert answers[4][None] and answers[8][None] and answers[10][None]  # not empty
    finally:
        store.close()
