"""Back-pressure: a node that answers 429 (write queue full) to the first bulk requests. An
HTTP proxy in front of the real node answers those 429s the way Elasticsearch does and
forwards everything else, so the store must retry with backoff until the node takes the batch.
"""
from __future__ import annotations

import json

import pytest

from models.store.elasticsearch.bulk import RetryPolicy
from models.store.elasticsearch.store import ElasticsearchReviewStore
from tests.es_proxy import ELASTIC_HEADERS, NodeProxy
from tests.factories import make_review

REJECTED = json.dumps({"error": {"type": "es_rejected_execution_exception",
                                 "reason": "rejected execution of bulk (queue capacity 1)"},
                       "status": 429}).encode()


class ThrottlingProxy(NodeProxy):
    """Answers 429 to the first ``reject_bulks`` bulk requests."""

    def __init__(self, target: str, reject_bulks: int):
        super().__init__(target)
        self.reject_bulks = reject_bulks
        self.bulk_requests = 0

    def intercept(self, method, path, headers):
        if not path.split("?")[0].endswith("/_bulk"):
            return None
        with self.lock:
            self.bulk_requests += 1
            reject = self.bulk_requests <= self.reject_bulks
        return (429, ELASTIC_HEADERS, REJECTED) if reject else None


@pytest.fixture
def throttling(es_url, monkeypatch):
    monkeypatch.delenv("KOUBEI_ES_URL", raising=False)
    proxy = ThrottlingProxy(es_url, reject_bulks=3)
    yield proxy
    proxy.close()


def test_a_throttled_batch_is_retried_until_the_node_takes_it(tmp_path, throttling,
                                                              es_prefix):
    store = ElasticsearchReviewStore(tmp_path, url=throttling.url, index_prefix=es_prefix,
                                     retry=RetryPolicy(attempts=5, initial_backoff=0.05))
    reviews = [make_review() for _ in range(20)]
    result = store.upsert(reviews)
    assert (result.new, result.spooled, result.rejected) == (20, 0, 0)
    assert throttling.bulk_requests == 4  # three refused, the fourth written
    assert store.stats().reviews == 20
    store.close()


def test_a_node_that_stays_throttled_gets_the_batch_spooled(tmp_path, throttling, es_prefix):
    throttling.reject_bulks = 10**6
    store = ElasticsearchReviewStore(tmp_path, url=throttling.url, index_prefix=es_prefix,
                                     retry=RetryPolicy(attempts=2, initial_backoff=0.05))
    result = store.upsert([make_review() for _ in range(5)])
    assert result.spooled == 5 and store.spool.pending() == 5
    throttling.reject_bulks = 0
    assert store.replay_spool() == 5
    assert store.stats().reviews == 5
    store.close()
