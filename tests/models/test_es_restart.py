"""Fault test: the Elasticsearch node itself is stopped (SIGTERM) in the middle of an ingest
and started again on the same data path and port. Every review must arrive exactly once.

The test runs its own node, never the session's shared one, because it stops it.
"""
from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from elasticsearch import Elasticsearch

from models.store.elasticsearch.bulk import RetryPolicy
from models.store.elasticsearch.store import ElasticsearchReviewStore
from tests.es_node import ElasticsearchNode, NodeError, distribution_available
from tests.factories import make_review
from tests.support import require, walk_feed

PREFIX = "kbt-restart"


@pytest.fixture
def own_node(monkeypatch):
    monkeypatch.delenv("KOUBEI_ES_URL", raising=False)  # it would override the node's URL
    require(distribution_available(), "Elasticsearch distribution (run `make elasticsearch`)")
    node = ElasticsearchNode()
    try:
        node.start()
    except NodeError as exc:
        node.stop()
        require(False, f"a second Elasticsearch node that starts: {exc}")
    yield node
    node.stop()


class Ingest(threading.Thread):
    """Upserts batches until told to stop: 20 new reviews plus a changed copy of an earlier
    one per batch, as a crawl re-reading a page would. ``sent`` keeps the latest version of
    every review handed to the store; ``results`` every ``UpsertResult``; ``errors`` anything
    ``upsert`` raised (a review the caller could not hand over)."""

    def __init__(self, store):
        super().__init__(name="ingest", daemon=True)
        self.store = store
        self.sent: dict = {}
        self.results: list = []
        self.errors: list[Exception] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            batch = [make_review() for _ in range(20)]
            if self.sent:
                earlier = list(self.sent.values())[len(self.sent) // 2]
                batch.append(dataclasses.replace(earlier, likes=earlier.likes + 1))
            try:
                result = self.store.upsert(batch)
            except Exception as exc:  # recorded; the test fails on it
                self.errors.append(exc)
                return
            self.sent.update((r.id, r) for r in batch)
            self.results.append(result)
            time.sleep(0.05)  # a crawl hands over pages, not a tight loop

    def total(self, field: str, since: int = 0) -> int:
        return sum(getattr(r, field) for r in self.results[since:])


def wait_for(condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_node_stopped_mid_ingest_and_restarted_every_review_arrives_once(tmp_path, own_node):
    store = ElasticsearchReviewStore(tmp_path, url=own_node.url, index_prefix=PREFIX,
                                     batch_size=500, request_timeout=10,
                                     retry=RetryPolicy(attempts=2, initial_backoff=0.05))
    head = store.feed().cursor
    ingest = Ingest(store)
    ingest.start()
    wait_for(lambda: ingest.total("new") >= 100 or ingest.errors, "writes to reach the node")

    own_node.halt()
    wait_for(lambda: ingest.total("spooled") >= 100 or ingest.errors, "writes to be spooled")
    own_node.start()
    back = len(ingest.results)
    wait_for(lambda: ingest.total("new", back) >= 100 or ingest.errors,
             "writes to reach the restarted node")
    ingest.halt.set()
    ingest.join(120)
    assert not ingest.is_alive()
    assert ingest.errors == []
    store.replay_spool()
    assert store.spool.pending() == 0

    sent = ingest.sent
    direct = Elasticsearch(own_node.url)
    assert direct.count(index=f"{PREFIX}-reviews")["count"] == len(sent)
    direct.close()
    streamed = list(store.iter_reviews(batch_size=1000))
    assert len(streamed) == len(sent)
    assert {r.id: r for r in streamed} == sent  # every review once, in its latest version
    fed = [r.id for r in walk_feed(store, head)]
    assert len(fed) == len(set(fed)) == len(sent)
    store.close()

