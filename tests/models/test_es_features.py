"""What only the Elasticsearch store promises: index design, the feed horizon and
per-document rejections (start-up errors: ``test_es_startup``)."""
from __future__ import annotations

import dataclasses
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from elasticsearch import Elasticsearch

from models.store import open_review_store
from models.store.elasticsearch.store import ElasticsearchReviewStore
from tests.factories import BASE_TIME, make_review
from tests.support import walk_feed


@pytest.fixture
def store(tmp_path, es_url, es_prefix):
    store = ElasticsearchReviewStore(tmp_path, url=es_url, index_prefix=es_prefix)
    yield store
    store.close()


def test_template_monthly_indices_and_read_alias(store, es_url, es_prefix):
    october = make_review(published_at=BASE_TIME - timedelta(days=20))
    november = make_review(published_at=BASE_TIME)
    store.upsert([october, november])
    client = Elasticsearch(es_url)
    template = client.indices.get_index_template(name=f"{es_prefix}-reviews")
    mappings = template["index_templates"][0]["index_template"]["template"]["mappings"]
    assert mappings["properties"]["tokens"]["analyzer"] == "whitespace"
    assert mappings["properties"]["entities"]["type"] == "keyword"
    behind_alias = client.indices.get_alias(name=f"{es_prefix}-reviews")
    assert {f"{es_prefix}-reviews-2026.10", f"{es_prefix}-reviews-2026.11"} <= set(behind_alias)
    doc = client.get(index=f"{es_prefix}-reviews-2026.10", id=october.id)
    assert doc["_source"]["text"] == october.text
    client.close()


def test_moving_to_another_month_leaves_one_copy(store):
    review = make_review(published_at=BASE_TIME)
    store.upsert([review])
    review.published_at = BASE_TIME - timedelta(days=40)
    assert store.upsert([review]).updated == 1
    assert store.stats().reviews == 1
    assert store.get(review.id).published_at == review.published_at
    assert [r.id for r in store.iter_reviews()] == [review.id]


def test_a_review_moving_month_between_batches_of_one_upsert_leaves_one_copy(
        tmp_path, es_url, es_prefix):
    # batches of one upsert are settled (refreshed) lazily; the second batch's lookup must
    # still see the first batch's copy to delete it from the month it left
    store = ElasticsearchReviewStore(tmp_path, url=es_url, index_prefix=es_prefix, batch_size=2)
    review = make_review(published_at=BASE_TIME)
    moved = dataclasses.replace(review, published_at=BASE_TIME - timedelta(days=40))
    store.upsert([review, make_review(), moved, make_review()])
    assert [r.published_at for r in store.iter_reviews()
            if r.id == review.id] == [moved.published_at]
    assert store.count()[None] == 3
    store.close()


def test_an_upsert_from_an_iterator_shows_each_batch_while_it_runs(tmp_path, es_url,
                                                                    es_prefix):
    store = ElasticsearchReviewStore(tmp_path, url=es_url, index_prefix=es_prefix, batch_size=2)
    head = store.feed().cursor
    first = [make_review(), make_review()]
    seen_while_running = []

    def reviews():  # a slow producer: its first batch must not wait for the second
        yield from first
        seen_while_running.extend(r.id for r in store.feed(head).reviews)
        yield from [make_review(), make_review(), make_review()]

    assert store.upsert(reviews()).new == 5
    assert seen_while_running == [r.id for r in first]
    assert len(store.feed(head).reviews) == 5
    store.close()


def test_threads_writing_one_store_leave_every_review_in_the_feed_and_no_block_open(
        tmp_path, es_url, es_prefix):
    store = ElasticsearchReviewStore(tmp_path, url=es_url, index_prefix=es_prefix, batch_size=10)
    head = store.feed().cursor
    loads = [[make_review() for _ in range(30)] for _ in range(12)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(store.upsert, loads))
    assert sum(r.new for r in results) == 360
    assert store.ledger.horizon() is None  # every block settled and closed
    assert sorted(r.id for r in walk_feed(store, head)) == sorted(
        r.id for load in loads for r in load)
    store.close()


def test_feed_never_passes_a_batch_still_being_written(store):
    head = store.feed().cursor
    in_flight = store.ledger.claim()  # another writer has taken a block and not finished
    later = [make_review() for _ in range(3)]
    store.upsert(later)
    assert store.feed(head).reviews == []
    assert store.feed(head).cursor == head
    store.ledger.close(in_flight)
    assert [r.id for r in store.feed(head).reviews] == [r.id for r in later]


def test_two_stores_share_one_feed_order(tmp_path, es_url, es_prefix, store):
    other = ElasticsearchReviewStore(tmp_path / "other", url=es_url, index_prefix=es_prefix)
    head = store.feed().cursor
    a, b, c = make_review(), make_review(), make_review()
    store.upsert([a])
    other.upsert([b])
    store.upsert([c])
    assert [r.id for r in other.feed(head).reviews] == [a.id, b.id, c.id]
    other.close()


def test_a_rejected_document_is_reported_and_the_rest_written(store, caplog):
    good = [make_review(), make_review()]
    bad = make_review(likes="很多")  # not a number: the mapping refuses it
    with caplog.at_level(logging.ERROR):
        result = store.upsert([good[0], bad, good[1]])
    assert (result.new, result.rejected) == (2, 1)
    assert [r.review_id for r in store.last_rejections] == [bad.id]
    assert "failed to parse field [likes]" in store.last_rejections[0].reason
    assert bad.id in caplog.text
    assert store.get(bad.id) is None
    assert {r.id for r in store.iter_reviews()} == {good[0].id, good[1].id}


def test_selected_by_config_name(tmp_path, es_url, es_prefix):
    store = open_review_store("elasticsearch", tmp_path, url=es_url, index_prefix=es_prefix)
    assert store.stats().details["backend"] == "elasticsearch"
    store.close()
