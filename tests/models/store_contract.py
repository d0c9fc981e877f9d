"""The ``ReviewStore`` contract as a test suite. A backend's test module subclasses
``ReviewStoreContract`` and provides a ``store`` fixture yielding an empty store."""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from models.exceptions import InvalidCursor
from models.review import Sentiment
from models.store import Aggregation, ReviewQuery, UpsertResult, aspect_key
from tests.factories import BASE_TIME, make_review


def ids(reviews):
    return [r.id for r in reviews]


class ReviewStoreContract:
    # -- upsert -----------------------------------------------------------------------------
    def test_upsert_counts_new_updated_and_unchanged(self, store):
        a, b = make_review(), make_review()
        assert store.upsert([a, b]) == UpsertResult(new=2)
        assert store.stats().reviews == 2
        assert store.upsert([a, b]) == UpsertResult(unchanged=2)
        assert store.upsert([]) == UpsertResult()
        b.likes = 7
        result = store.upsert([a, b])
        assert (result.new, result.updated, result.unchanged) == (0, 1, 1)
        assert store.get(b.id).likes == 7
        assert store.stats().reviews == 2

    def test_round_trip_keeps_every_field(self, store):
        review = make_review(text="物流很快但是质量太差[怒]😡 <b>注意</b>\x07", rating=None,
                             aspects=[("物流配送", "positive"), ("产品质量", "negative")],
                             flags=["crisis:曝光"], extra={"version": "5.2.1"},
                             url="https://example.com/r/1", title="失望")
        store.upsert([review])
        got = store.get(review.id)
        assert got == review
        assert got.published_at.utcoffset() == timedelta(0)

    def test_a_very_long_review_is_stored_whole(self, store):
        review = make_review(text="差" * 100_000)
        store.upsert([review])
        assert len(store.get(review.id).text) == 100_000

    def test_later_duplicate_in_one_call_wins(self, store):
        first = make_review(native_id="same", likes=1)
        second = make_review(native_id="same", likes=2)
        assert first.id == second.id
        result = store.upsert([first, second])
        assert result.new == 1 and store.stats().reviews == 1
        assert store.get(first.id).likes == 2

    def test_upsert_in_several_batches_counts_every_batch(self, store):
        store.batch_size = 2
        reviews = [make_review() for _ in range(5)]
        assert store.upsert(reviews) == UpsertResult(new=5)
        reviews[4].likes = 9
        assert store.upsert(reviews) == UpsertResult(updated=1, unchanged=4)
        assert store.stats().reviews == 5 and store.get(reviews[4].id).likes == 9

    def test_get_missing_returns_none(self, store):
        assert store.get("nope") is None

    def test_get_many_answers_the_stored_ones_in_the_order_asked(self, store):
        store.batch_size = 2  # several batches on SQLite
        reviews = [make_review(text=f"第{i}条") for i in range(5)]
        store.upsert(reviews)
        asked = [reviews[3].id, "missing", reviews[0].id, reviews[4].id, reviews[0].id,
                 reviews[2].id]
        found = store.get_many(asked)
        assert list(found) == [reviews[3].id, reviews[0].id, reviews[4].id, reviews[2].id]
        assert found[reviews[4].id] == reviews[4] and store.get_many([]) == {}

    def test_fingerprints_of_stored_ids_only(self, store):
        a = make_review()
        store.upsert([a])
        assert store.fingerprints([a.id, "missing"]) == {a.id: a.fingerprint()}

    def test_changed_entities_and_topics_replace_the_old_ones(self, store):
        review = make_review(entities=["yunque"], topics=["价格"])
        store.upsert([review])
        review.entities, review.topics = ["other"], ["包装"]
        store.upsert([review])
        assert store.count(ReviewQuery(entities=("yunque",))) == {None: 0}
        assert store.count(ReviewQuery(entities=("other",))) == {None: 1}
        assert store.count(ReviewQuery(topics=("价格",))) == {None: 0}
        assert store.count(ReviewQuery(topics=("包装",))) == {None: 1}

    # -- search -----------------------------------------------------------------------------
    def test_search_is_newest_first_and_cursor_walks_every_review_once(self, store):
        same_time = BASE_TIME + timedelta(days=1)
        reviews = [make_review() for _ in range(7)] + \
                  [make_review(published_at=same_time) for _ in range(5)]
        store.upsert(reviews)
        seen, cursor = [], None
        while True:
            page = store.search(limit=5, cursor=cursor)
            seen += page.reviews
            if page.cursor is None:
                break
            cursor = page.cursor
        assert sorted(ids(seen)) == sorted(ids(reviews))
        assert len(seen) == len(set(ids(seen)))
        times = [r.published_at for r in seen]
        assert times == sorted(times, reverse=True)

    def test_search_filters(self, store):
        neg = make_review(label="negative", source="weibo-a", entities=["yunque", "yunque-x5"],
                          topics=["电池续航"], tokens=["电池", "发热", "严重"])
        pos = make_review(label="positive", source="demo-appstore", entities=["other"],
                          tokens=["拍照", "清晰"])
        old = make_review(published_at=BASE_TIME - timedelta(days=3), tokens=["电池", "耐用"])
        store.upsert([neg, pos, old])

        def found(**kw):
            return set(ids(store.search(ReviewQuery(**kw)).reviews))
        assert found(sentiments=("negative",)) == {neg.id}
        assert found(sources=("weibo-a",)) == {neg.id}
        assert found(entities=("yunque-x5",)) == {neg.id}
        assert found(topics=("电池续航",)) == {neg.id}
        assert found(start=BASE_TIME - timedelta(days=1)) == {neg.id, pos.id}
        assert found(end=BASE_TIME - timedelta(days=1)) == {old.id}
        assert found(q="电池") == {neg.id, old.id}
        assert found(q="电池 发热") == {neg.id}
        assert found(q="发热", sentiments=("positive",)) == set()

    def test_min_reach_filters_every_read_by_likes_replies_reposts_and_followers(self, store):
        t0 = BASE_TIME.replace(minute=0)
        quiet = make_review(label="negative", published_at=t0 + timedelta(minutes=1))
        liked = make_review(label="negative", likes=60, replies=40,
                            published_at=t0 + timedelta(minutes=2))
        shared = make_review(label="negative", reposts=150, topics=["电池续航"],
                             published_at=t0 + timedelta(minutes=3))
        famous = make_review(label="positive", author_followers=1_200_000, topics=["电池续航"],
                             published_at=t0 + timedelta(minutes=4))
        store.upsert([quiet, liked, shared, famous])
        wide = ReviewQuery(min_reach=100)
        assert set(ids(store.search(wide).reviews)) == {liked.id, shared.id, famous.id}
        assert ids(store.search(ReviewQuery(min_reach=101)).reviews) == [famous.id, shared.id]
        assert store.count(ReviewQuery(min_reach=0)) == {None: 4}
        assert store.count(wide, group_by="sentiment") == {"negative": 2, "positive": 1}
        # a multi-valued filter is answered from its side table: reach still narrows it
        battery = ReviewQuery(topics=("电池续航",), min_reach=1_000)
        assert store.count(battery) == {None: 1}
        assert store.count(battery, group_by="sentiment") == {"positive": 1}
        window = ReviewQuery(start=t0, end=t0 + timedelta(hours=1), min_reach=100)
        assert [(p.key, p.count) for p in store.trend(window, timedelta(hours=1))] \
            == [(None, 3)]
        assert {r.id for r in store.iter_reviews(ReviewQuery(min_reach=200))} == {famous.id}
        assert set(ids(store.feed(limit=10, query=wide).reviews)) == \
            {liked.id, shared.id, famous.id}
        liked.likes = 0  # reach changes with what the site shows: re-read, filtered anew
        store.upsert([liked])
        assert set(ids(store.search(wide).reviews)) == {shared.id, famous.id}

    def test_search_highlights_the_words_in_escaped_text(self, store):
        plain = make_review(text="<b>电池</b>发热严重，退货！[怒]", tokens=["电池", "发热", "严重", "退货"])
        hant = make_review(text="電池發熱嚴重😡", text_norm="电池发热严重😡", script="zh-Hant",
                           tokens=["电池", "发热", "严重"])
        long = make_review(text="很好" * 200 + "就是发热" + "很好" * 200, tokens=["发热", "很好"])
        other = make_review(tokens=["拍照"])
        store.upsert([plain, hant, long, other])

        page = store.search(ReviewQuery(q="发热 电池"))
        assert set(ids(page.reviews)) == {plain.id, hant.id}
        assert page.highlights == {
            plain.id: "&lt;b&gt;<em>电池</em>&lt;/b&gt;<em>发热</em>严重，退货！[怒]",
            # found by its simplified text, marked on the text as written
            hant.id: "<em>電池</em><em>發熱</em>嚴重😡",
        }
        fragment = store.search(ReviewQuery(q="发热", entities=("yunque",))).highlights[long.id]
        assert "就是<em>发热</em>很好" in fragment
        assert fragment.startswith("…") and fragment.endswith("…") and len(fragment) < 200
        assert store.search(ReviewQuery(entities=("yunque",))).highlights == {}

    @pytest.mark.parametrize("q", ["!!!", '"', "电池\" OR \"x", "AND", "*", "NEAR("])
    def test_search_query_syntax_never_errors(self, store, q):
        store.upsert([make_review(tokens=["电池", "AND"])])
        store.search(ReviewQuery(q=q))  # must not raise

    def test_invalid_search_cursor_is_rejected(self, store):
        with pytest.raises(InvalidCursor):
            store.search(cursor="garbage")
        with pytest.raises(ValueError):
            store.search(cursor=store.feed().cursor)  # a feed cursor is not a search cursor

    # -- feed -------------------------------------------------------------------------------
    def test_feed_returns_what_was_ingested_after_the_cursor(self, store):
        first = [make_review() for _ in range(3)]
        store.upsert(first)
        page = store.feed(limit=2)
        assert ids(page.reviews) == [first[2].id, first[1].id]
        head = page.cursor
        assert store.feed(head).reviews == []
        assert store.feed(head).cursor == head

        later = [make_review() for _ in range(3)]
        store.upsert(later)
        page = store.feed(head, limit=2)
        assert ids(page.reviews) == ids(later[:2])
        page = store.feed(page.cursor, limit=2)
        assert ids(page.reviews) == ids(later[2:])

        store.upsert(first)  # unchanged: does not reappear
        assert store.feed(page.cursor).reviews == []
        first[0].sentiment = Sentiment("negative", -0.9, "m2")  # changed: moves to the head
        store.upsert(first)
        assert ids(store.feed(page.cursor).reviews) == [first[0].id]

    def test_feed_applies_filters(self, store):
        head = store.feed().cursor
        store.upsert([make_review(label="negative"), make_review(label="positive")])
        page = store.feed(head, query=ReviewQuery(sentiments=("negative",)))
        assert [r.sentiment.label for r in page.reviews] == ["negative"]

    def test_invalid_feed_cursor_is_rejected(self, store):
        with pytest.raises(InvalidCursor):
            store.feed("not-a-cursor")

    # -- aggregates -------------------------------------------------------------------------
    def test_count_grouped(self, store):
        store.upsert([
            make_review(label="negative", entities=["a", "b"], topics=["价格"], source="s1"),
            make_review(label="negative", entities=["a"], topics=[], source="s2"),
            make_review(label="positive", entities=[], topics=["价格", "包装"], source="s1"),
        ])
        assert store.count() == {None: 3}
        assert store.count(group_by="sentiment") == {"negative": 2, "positive": 1}
        assert store.count(group_by="entity") == {"a": 2, "b": 1}
        assert store.count(group_by="topic") == {"价格": 2, "包装": 1}
        assert store.count(group_by="source") == {"s1": 2, "s2": 1}
        assert store.count(ReviewQuery(sentiments=("negative",)), group_by="source") == \
            {"s1": 1, "s2": 1}
        with pytest.raises(ValueError):
            store.count(group_by="author")

    def test_count_window_is_half_open(self, store):
        store.upsert([make_review(published_at=BASE_TIME),
                      make_review(published_at=BASE_TIME + timedelta(minutes=10))])
        window = ReviewQuery(start=BASE_TIME, end=BASE_TIME + timedelta(minutes=10))
        assert store.count(window) == {None: 1}

    def test_trend_buckets_by_interval_and_group(self, store):
        t0 = BASE_TIME.replace(minute=0)
        store.upsert([
            make_review(label="negative", published_at=t0 + timedelta(minutes=5)),
            make_review(label="negative", published_at=t0 + timedelta(minutes=59)),
            make_review(label="positive", published_at=t0 + timedelta(minutes=30)),
            make_review(label="positive", published_at=t0 + timedelta(hours=2, minutes=1)),
            make_review(label="positive", published_at=t0 + timedelta(hours=9)),  # outside
        ])
        query = ReviewQuery(start=t0, end=t0 + timedelta(hours=3))
        points = store.trend(query, timedelta(hours=1), group_by="sentiment")
        got = {(p.bucket, p.key): p.count for p in points}
        assert got == {(t0, "negative"): 2, (t0, "positive"): 1,
                       (t0 + timedelta(hours=2), "positive"): 1}
        assert [p.bucket for p in points] == sorted(p.bucket for p in points)
        total = store.trend(query, timedelta(hours=1))
        assert [(p.bucket, p.key, p.count) for p in total] == \
            [(t0, None, 3), (t0 + timedelta(hours=2), None, 1)]
        with pytest.raises(ValueError):
            store.trend(ReviewQuery(), timedelta(hours=1))

    def test_count_grouped_by_aspect(self, store):
        store.upsert([
            make_review(label="negative", aspects=[("物流配送", "negative"), ("价格", "positive")]),
            make_review(label="negative", aspects=[("物流配送", "negative")]),
            make_review(label="positive", aspects=[("价格", "positive")]),
            make_review(label="positive", aspects=[]),
        ])
        assert store.count(group_by="aspect") == {"物流配送:negative": 2, "价格:positive": 2}
        assert store.count(ReviewQuery(aspects=(aspect_key("物流配送", "negative"),))) == \
            {None: 2}
        assert store.count(ReviewQuery(sentiments=("positive",)), group_by="aspect") == \
            {"价格:positive": 1}

    def test_filtered_counts_and_trends_equal_plain_counts_after_updates(self, store):
        """Counts by entity/topic/aspect filters agree with counting the reviews one by one,
        also after re-ingesting reviews whose time, sentiment, source or values changed."""
        t0 = BASE_TIME.replace(minute=0)
        values = [("a", "价格", "negative"), ("b", "包装", "positive"), ("a", "包装", "neutral")]
        reviews = []
        for i in range(24):
            entity, topic, label = values[i % 3]
            reviews.append(make_review(
                label=label, source=f"s{i % 2}", entities=[entity] + (["b"] if i % 4 == 0 else []),
                topics=[topic], aspects=[(topic, label)],
                published_at=t0 + timedelta(minutes=23 * i)))
        store.upsert(reviews)
        for i in (0, 5, 9, 13):  # re-ingested with other values
            old = reviews[i]
            reviews[i] = make_review(
                native_id=old.native_id, source=old.source, label="negative",
                entities=["b"], topics=["价格"], aspects=[("价格", "negative")],
                published_at=old.published_at + timedelta(hours=3))
        store.upsert(reviews[i] for i in (0, 5, 9, 13))
        assert store.stats().reviews == 24
        end = t0 + timedelta(hours=12)
        queries = [ReviewQuery(entities=("a",)), ReviewQuery(entities=("a", "b")),
                   ReviewQuery(entities=("b",), sentiments=("negative",)),
                   ReviewQuery(topics=("价格",), sources=("s0",)),
                   ReviewQuery(entities=("b",), topics=("价格",)),
                   ReviewQuery(aspects=("价格:negative", "包装:positive")),
                   ReviewQuery(entities=("a",), start=t0 + timedelta(hours=2), end=end),
                   ReviewQuery(sentiments=("negative", "neutral"),  # not on whole hours
                               start=t0 + timedelta(hours=1, minutes=17),
                               end=t0 + timedelta(hours=7, minutes=5))]

        def plain(query, review):
            return ((not query.entities or set(query.entities) & set(review.entities))
                    and (not query.topics or set(query.topics) & set(review.topics))
                    and (not query.aspects or set(query.aspects)
                         & {aspect_key(*a) for a in review.aspects})
                    and (not query.sources or review.source in query.sources)
                    and (not query.sentiments or review.sentiment.label in query.sentiments)
                    and (query.start is None or review.published_at >= query.start)
                    and (query.end is None or review.published_at < query.end))

        for query in queries:
            matching = [r for r in reviews if plain(query, r)]
            assert matching, query
            assert store.count(query) == {None: len(matching)}, query
            by_sentiment = Counter(r.sentiment.label for r in matching)
            assert store.count(query, group_by="sentiment") == dict(by_sentiment), query
            assert store.count(query, group_by="source") == \
                dict(Counter(r.source for r in matching)), query
            hourly = Counter(r.published_at.replace(minute=0) for r in matching)
            window = replace(query, start=query.start or t0, end=query.end or end + timedelta(
                hours=6))
            assert {p.bucket: p.count for p in store.trend(window, timedelta(hours=1))} == \
                dict(hourly), query
            by_hour_sentiment = Counter((r.published_at.replace(minute=0), r.sentiment.label)
                                        for r in matching)
            assert {(p.bucket, p.key): p.count for p in store.trend(
                window, timedelta(hours=1), group_by="sentiment")} == dict(by_hour_sentiment)

    # -- analytics aggregations -------------------------------------------------------------
    def test_count_grouped_by_rating_in_whole_stars(self, store):
        store.upsert([make_review(rating=5.0), make_review(rating=4.5), make_review(rating=4.4),
                      make_review(rating=1.0), make_review(rating=0.0), make_review(rating=None)])
        assert store.count(group_by="rating") == {"5": 2, "4": 1, "1": 1, "0": 1, None: 1}
        assert store.count(ReviewQuery(sentiments=("positive",)), group_by="rating")[None] == 1
        t0 = BASE_TIME.replace(minute=0)
        window = ReviewQuery(start=t0, end=t0 + timedelta(hours=3))
        assert {(p.key, p.count) for p in store.trend(window, timedelta(hours=1), "rating")} \
            == {("5", 2), ("4", 1), ("1", 1), ("0", 1), (None, 1)}

    def test_cross_count_of_two_scalar_fields(self, store):
        store.upsert([
            make_review(label="negative", source="s1", rating=1.0),
            make_review(label="negative", source="s1", rating=2.0),
            make_review(label="positive", source="s2", rating=None),
            make_review(label="positive", source="s1", rating=5.0, sentiment=None),
        ])
        assert store.cross_count(ReviewQuery(), "source", "sentiment") == {
            ("s1", "negative"): 2, ("s2", "positive"): 1, ("s1", None): 1}
        assert store.cross_count(ReviewQuery(sources=("s1",)), "sentiment", "rating") == {
            ("negative", "1"): 1, ("negative", "2"): 1, (None, "5"): 1}
        assert store.cross_count(ReviewQuery(), "platform", "rating") == {
            ("appstore", "1"): 1, ("appstore", "2"): 1, ("appstore", None): 1,
            ("appstore", "5"): 1}

    def test_cross_count_by_entity_keeps_to_the_entities_asked_for(self, store):
        t = BASE_TIME
        store.upsert([
            make_review(label="negative", entities=["a", "c"], source="s1", topics=["价格"]),
            make_review(label="negative", entities=["a", "b"], source="s2",
                        topics=["价格", "包装"]),
            make_review(label="positive", entities=["b"], source="s1", topics=["包装"]),
            make_review(label="positive", entities=["c"], source="s1", topics=["价格"]),
            make_review(label="neutral", entities=["a"], source="s1", topics=[],
                        published_at=t - timedelta(days=2)),
        ])
        both = ReviewQuery(entities=("a", "b"))
        assert store.cross_count(both, "entity", "sentiment") == {
            ("a", "negative"): 2, ("b", "negative"): 1, ("b", "positive"): 1,
            ("a", "neutral"): 1}
        assert store.cross_count(replace(both, start=t - timedelta(days=1)), "sentiment",
                                 "entity") == {("negative", "a"): 2, ("negative", "b"): 1,
                                               ("positive", "b"): 1}
        assert store.cross_count(both, "entity", "source") == {
            ("a", "s1"): 2, ("a", "s2"): 1, ("b", "s2"): 1, ("b", "s1"): 1}
        assert store.cross_count(both, "entity", "topic") == {
            ("a", "价格"): 2, ("a", "包装"): 1, ("b", "价格"): 1, ("b", "包装"): 2}
        assert store.cross_count(replace(both, topics=("包装",)), "entity", "topic") == {
            ("a", "包装"): 1, ("b", "包装"): 2}
        assert store.cross_count(ReviewQuery(), "entity", "sentiment")[("c", "positive")] == 1
        assert store.cross_count(ReviewQuery(entities=("a",), q="手机"), "entity",
                                 "sentiment") == {("a", "negative"): 2, ("a", "neutral"): 1}
        with pytest.raises(ValueError):
            store.cross_count(both, "entity", "entity")
        with pytest.raises(ValueError):
            store.cross_count(both, "entity", "author")

    def test_grouped_by_the_multi_valued_field_it_filters_on(self, store):
        """Every value of the matching reviews is a key (not only the filtered ones)."""
        t0 = BASE_TIME.replace(minute=0)
        store.upsert([make_review(entities=["a", "b"], published_at=t0 + timedelta(minutes=5)),
                      make_review(entities=["a"], published_at=t0 + timedelta(minutes=6)),
                      make_review(entities=["c"], published_at=t0 + timedelta(minutes=7)),
                      make_review(entities=["b", "c"], published_at=t0 + timedelta(hours=1))])
        assert store.count(ReviewQuery(entities=("a",)), group_by="entity") == {"a": 2, "b": 1}
        assert store.count(ReviewQuery(entities=("a", "b")), group_by="entity") == \
            {"a": 2, "b": 2, "c": 1}
        window = ReviewQuery(entities=("a", "b"), start=t0, end=t0 + timedelta(hours=2))
        points = store.trend(window, timedelta(hours=1), group_by="entity")
        assert {(p.bucket, p.key): p.count for p in points} == {
            (t0, "a"): 2, (t0, "b"): 1, (t0 + timedelta(hours=1), "b"): 1,
            (t0 + timedelta(hours=1), "c"): 1}
        assert [p.bucket for p in points] == sorted(p.bucket for p in points)

    def test_aggregate_answers_each_read_as_its_method(self, store):
        reviews = [make_review(entities=["a", "b"][: 1 + i % 2], keywords=["电池", "物流"][i % 2:],
                               label=["negative", "positive"][i % 2], rating=float(i % 5),
                               published_at=BASE_TIME + timedelta(minutes=10 * i))
                   for i in range(12)]
        store.upsert(reviews)
        window = ReviewQuery(start=BASE_TIME, end=BASE_TIME + timedelta(hours=3))
        requests = [Aggregation("count", window), Aggregation("count", window, ("entity",)),
                    Aggregation("cross_count", window, ("entity", "rating")),
                    Aggregation("trend", window, (timedelta(hours=1), "sentiment")),
                    Aggregation("keyword_counts", window, (1,)),
                    Aggregation("keyword_counts", window, (50, ()))]
        answers = store.aggregate(requests)
        assert answers == [store.count(window), store.count(window, "entity"),
                           store.cross_count(window, "entity", "rating"),
                           store.trend(window, timedelta(hours=1), "sentiment"),
                           store.keyword_counts(window, 1), {}]
        assert answers[0] == {None: 12} and answers[1] == {"a": 12, "b": 6}
        assert store.aggregate([]) == []
        with pytest.raises(ValueError):
            store.aggregate([Aggregation("cross_count", window, ("entity", "entity"))])
        with pytest.raises(ValueError):
            Aggregation("search", window)

    def test_keyword_counts_top_and_named(self, store):
        store.upsert([
            make_review(keywords=["发热", "续航"], entities=["a"]),
            make_review(keywords=["发热", "屏幕"], entities=["a", "b"]),
            make_review(keywords=["发热"], entities=["b"], label="negative"),
            make_review(keywords=["续航"], entities=["a"],
                        published_at=BASE_TIME - timedelta(days=3)),
            make_review(keywords=[], entities=["a"]),
        ])
        assert store.keyword_counts(ReviewQuery()) == {"发热": 3, "续航": 2, "屏幕": 1}
        assert list(store.keyword_counts(ReviewQuery(), limit=2)) == ["发热", "续航"]
        assert store.keyword_counts(ReviewQuery(entities=("a",))) == \
            {"发热": 2, "续航": 2, "屏幕": 1}
        assert store.keyword_counts(ReviewQuery(entities=("a", "b"))) == \
            {"发热": 3, "续航": 2, "屏幕": 1}
        assert store.keyword_counts(ReviewQuery(entities=("a",), start=BASE_TIME)) == \
            {"发热": 2, "续航": 1, "屏幕": 1}
        assert store.keyword_counts(ReviewQuery(sentiments=("negative",))) == {"发热": 1}
        assert store.keyword_counts(ReviewQuery(), terms=["屏幕", "续航", "没有"]) == \
            {"续航": 2, "屏幕": 1}
        assert store.keyword_counts(ReviewQuery(), terms=[]) == {}
        assert store.count(ReviewQuery(keywords=("屏幕",))) == {None: 1}
        assert ids(store.search(ReviewQuery(keywords=("续航",), entities=("a",))).reviews) \
            and store.count(ReviewQuery(keywords=("续航",), entities=("a",))) == {None: 2}

    def test_changed_keywords_and_ratings_replace_the_old_ones(self, store):
        review = make_review(keywords=["发热"], rating=1.0)
        store.upsert([review])
        review.keywords, review.rating = ["续航"], 4.0
        store.upsert([review])
        assert store.keyword_counts(ReviewQuery()) == {"续航": 1}
        assert store.count(group_by="rating") == {"4": 1}

    # -- export -----------------------------------------------------------------------------
    def test_iter_reviews_streams_everything_oldest_first(self, store):
        same_time = BASE_TIME + timedelta(days=2)
        reviews = [make_review() for _ in range(6)] + \
                  [make_review(published_at=same_time) for _ in range(4)]
        store.upsert(reviews)
        streamed = list(store.iter_reviews(batch_size=3))
        assert sorted(ids(streamed)) == sorted(ids(reviews))
        assert len(streamed) == len(reviews)
        times = [r.published_at for r in streamed]
        assert times == sorted(times)
        only = list(store.iter_reviews(ReviewQuery(start=same_time), batch_size=3))
        assert len(only) == 4
