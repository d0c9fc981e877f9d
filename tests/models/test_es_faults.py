"""Fault tests: the link to a real Elasticsearch node goes down in the middle of an ingest
(a loopback TCP proxy between the store and the node is cut) and comes back."""
from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

import pytest
from elasticsearch import ConnectionError, Elasticsearch

from models.store.base import ReviewQuery
from models.store.elasticsearch.bulk import RetryPolicy
from models.store.elasticsearch.feed import FeedLedger
from models.store.elasticsearch.store import ElasticsearchReviewStore
from tests.factories import make_review
from tests.support import walk_feed
from tests.tcp_proxy import TCPProxy

FAST_RETRY = RetryPolicy(attempts=2, initial_backoff=0.05)


@pytest.fixture
def proxy(es_url, monkeypatch):
    monkeypatch.delenv("KOUBEI_ES_URL", raising=False)  # it would override the proxy's URL
    parts = urlsplit(es_url)
    proxy = TCPProxy(parts.hostname, parts.port)
    yield proxy
    proxy.close()


def open_store(home, proxy, prefix):
    return ElasticsearchReviewStore(home, url=proxy.url, index_prefix=prefix, batch_size=50,
                                    retry=FAST_RETRY, request_timeout=5)



def test_outage_between_batches_spools_and_replays_in_order(tmp_path, proxy, es_prefix):
    store = open_store(tmp_path, proxy, es_prefix)
    head = store.feed().cursor
    reviews = [make_review() for _ in range(300)]
    assert store.upsert(reviews[:100]).new == 100
    proxy.cut()
    down = store.upsert(reviews[100:200])
    assert down.spooled == 100 and store.spool.pending() == 100
    changed = reviews[10]
    changed.likes = 99  # an update made while the node was away
    assert store.upsert([changed]).spooled == 1
    proxy.restore()
    assert store.upsert(reviews[200:]).new == 100  # replays the spool first
    assert store.spool.pending() == 0

    assert store.stats().reviews == 300
    streamed = [r.id for r in store.iter_reviews()]
    assert sorted(streamed) == sorted(r.id for r in reviews)
    assert store.get(changed.id).likes == 99
    fed = [r.id for r in walk_feed(store, head)]
    assert len(fed) == len(set(fed)) == 300
    assert fed[-100:] == [r.id for r in reviews[200:]]  # after everything spooled before them
    store.close()


def test_node_lost_mid_ingest_every_review_arrives_exactly_once(tmp_path, proxy, es_url,
                                                                es_prefix):
    store = open_store(tmp_path, proxy, es_prefix)
    head = store.feed().cursor
    reviews = [make_review() for _ in range(300)]
    writer = threading.Thread(target=lambda: [store.upsert(reviews[i:i + 100])
                                              for i in range(0, len(reviews), 100)])
    direct = Elasticsearch(es_url)
    writer.start()
    while direct.count(index=f"{es_prefix}-reviews")["count"] == 0:
        time.sleep(0.01)
    proxy.cut()  # lands in the middle of a batch or between two
    time.sleep(0.5)
    proxy.restore()
    writer.join(120)
    assert not writer.is_alive()
    store.replay_spool()

    assert direct.count(index=f"{es_prefix}-reviews")["count"] == 300
    streamed = [r.id for r in store.iter_reviews(batch_size=1000)]
    assert sorted(streamed) == sorted(r.id for r in reviews)
    fed = [r.id for r in walk_feed(store, head)]
    assert sorted(fed) == sorted(r.id for r in reviews)
    direct.close()
    store.close()


def test_a_new_process_replays_what_an_earlier_one_spooled(tmp_path, proxy, es_prefix):
    first = open_store(tmp_path, proxy, es_prefix)
    proxy.cut()
    reviews = [make_review() for _ in range(30)]
    assert first.upsert(reviews).spooled == 30
    first.close()
    proxy.restore()
    second = open_store(tmp_path, proxy, es_prefix)
    assert second.spool.pending() == 0
    assert second.count(ReviewQuery()) == {None: 30}
    second.close()


class AnswerLost:
    """An Elasticsearch client whose next ``index`` call reaches the node but whose answer
    is lost on the way back, as when a connection drops mid-request."""

    def __init__(self, client: Elasticsearch):
        self.client, self.losing = client, True

    def __getattr__(self, name):
        return getattr(self.client, name)

    def index(self, **kwargs):
        answer = self.client.index(**kwargs)
        if self.losing:
            self.losing = False
            raise ConnectionError("connection dropped before the answer arrived")
        return answer


def test_a_claim_whose_answer_was_lost_does_not_hold_the_feed_back(es_url, es_prefix):
    # Under load the node-lost test above stalled its feed: a block claimed by a request whose
    # answer was lost stayed open in the ledger, unknown to its writer, for STALE_AFTER.
    client = Elasticsearch(es_url)
    losing = AnswerLost(client)
    ledger = FeedLedger(losing, f"{es_prefix}-meta")
    losing.losing = False
    ledger.close()  # a ledger document to compare-and-set against (another test's, or new)
    losing.losing = True
    with pytest.raises(ConnectionError):
        ledger.claim()  # recorded by the node; the writer never learns which block it was
    assert ledger.horizon() is not None

    ledger.close(ledger.claim())  # the writer's next batch

    assert ledger.horizon() is None
    client.close()
