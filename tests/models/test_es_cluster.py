"""A two-node Elasticsearch cluster on loopback: the store's indices get a replica on the second
node, and the store keeps writing and reading every review when the node holding every primary
is killed (the replicas on the other node are promoted).

The nodes: ``node-0`` master-eligible and data, ``node-1`` data only. A two-node cluster can
lose only a node that is not its master (with two master-eligible nodes one of them alone
holds the vote), which is why production runs three master-eligible nodes (docs/deploy.md).
So that the lost node matters, every primary is put on ``node-1`` first: the master is kept
out of shard allocation while the store creates its indices, then let in to take the
replicas. The store is given both nodes' URLs, the one that dies first.

The test runs its own two nodes, never the session's shared one (it kills one).
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from elasticsearch import Elasticsearch

from models.store.elasticsearch.bulk import RetryPolicy
from models.store.elasticsearch.store import ElasticsearchReviewStore
from tests.es_node import NodeError, cluster_of, distribution_available
from tests.factories import make_review
from tests.support import require, walk_feed

PREFIX = "kbt-cluster"
MONTHS = [datetime(2026, month, 3, 2, tzinfo=timezone.utc) for month in (9, 10, 11)]


@pytest.fixture
def two_nodes(monkeypatch):
    """(master, data node) of one running cluster, both stopped and deleted afterwards."""
    monkeypatch.delenv("KOUBEI_ES_URL", raising=False)  # it would override the nodes' URLs
    require(distribution_available(), "Elasticsearch distribution (run `make elasticsearch`)")
    nodes = cluster_of(None, ["data"])
    errors: list[Exception] = []

    def start(node):
        try:
            node.start()
        except NodeError as exc:
            errors.append(exc)
    threads = [threading.Thread(target=start, args=(node,)) for node in nodes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        if errors:
            require(False, f"a two-node Elasticsearch cluster that forms: {errors[0]}")
        yield tuple(nodes)
    finally:
        for node in nodes:
            node.stop()


def review(n: int):
    """The ``n``th review of the test, in one of three months (three monthly indices)."""
    return make_review(published_at=MONTHS[n % 3] + timedelta(minutes=n))


class Ingest(threading.Thread):
    """Upserts batches of 30 new reviews over the three months until told to stop; ``sent``
    every review handed over, ``results`` each ``UpsertResult``, ``errors`` what raised."""

    def __init__(self, store, start: int):
        super().__init__(name="ingest", daemon=True)
        self.store, self.next = store, start
        self.sent: dict = {}
        self.results: list = []
        self.errors: list[Exception] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            batch = [review(n) for n in range(self.next, self.next + 30)]
            self.next += 30
            try:
                result = self.store.upsert(batch)
            except Exception as exc:  # recorded; the test fails on it
                self.errors.append(exc)
                return
            self.sent.update((r.id, r) for r in batch)
            self.results.append(result)
            time.sleep(0.05)

    def total(self, field: str, since: int = 0) -> int:
        return sum(getattr(r, field) for r in self.results[since:])


def wait_for(condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def copies(admin) -> dict[str, dict[str, str | None]]:
    """{index: {"p": node of the primary, "r": node of the replica}} of the test's indices,
    counting only started copies."""
    found: dict = {}
    for shard in admin.cat.shards(index=f"{PREFIX}-*", format="json"):
        entry = found.setdefault(shard["index"], {"p": None, "r": None})
        if shard["state"] == "STARTED":
            entry[shard["prirep"]] = shard["node"]
    return found


def replicas(admin) -> set[str]:
    settings = admin.indices.get_settings(index=f"{PREFIX}-*", name="index.number_of_replicas")
    return {s["settings"]["index"]["number_of_replicas"] for s in settings.values()}


@pytest.mark.slow
def test_two_nodes_keep_a_replica_and_the_store_survives_losing_the_primaries(tmp_path,
                                                                              two_nodes):
    master, data = two_nodes
    admin = Elasticsearch(master.url)
    assert admin.cluster.health()["number_of_nodes"] == 2
    exclude = "cluster.routing.allocation.exclude._name"
    admin.cluster.put_settings(persistent={exclude: master.name})
    store = ElasticsearchReviewStore(tmp_path, url=f"{data.url},{master.url}",
                                     index_prefix=PREFIX, batch_size=500, request_timeout=10,
                                     retry=RetryPolicy(attempts=3, initial_backoff=0.2))
    head = store.feed().cursor
    first = [review(n) for n in range(600)]
    assert store.upsert(first).new == len(first)
    admin.cluster.put_settings(persistent={exclude: None})
    health = admin.cluster.health(index=f"{PREFIX}-*", wait_for_status="green",
                                  wait_for_no_relocating_shards=True, timeout="120s")
    assert health["status"] == "green", health
    before = copies(admin)
    # the three months, the feed ledger (and the current month, created at start-up)
    assert {f"{PREFIX}-meta", *(f"{PREFIX}-reviews-{m:%Y.%m}" for m in MONTHS)} <= set(before)
    # one replica each, where the store's template asks for one on a second node
    assert before == {index: {"p": data.name, "r": master.name} for index in before}
    assert replicas(admin) == {"1"}

    ingest = Ingest(store, start=len(first))
    ingest.start()
    try:
        wait_for(lambda: ingest.total("new") >= 120 or ingest.errors, "writes to the cluster")
        data.kill()  # every primary is on it
        lost_at = len(ingest.results)
        wait_for(lambda: ingest.total("new", lost_at) >= 300 or ingest.errors,
                 "writes after the data node died")
    finally:
        ingest.halt.set()
        ingest.join(120)
    assert not ingest.is_alive()
    assert ingest.errors == []

    after = copies(admin)  # the replicas became the primaries
    assert after == {index: {"p": master.name, "r": None} for index in before}, after
    # and with one node left the template's "0-1" replicas shrink to none: green, not yellow
    health = admin.cluster.health(index=f"{PREFIX}-*", wait_for_status="green", timeout="60s")
    assert health["number_of_nodes"] == 1 and health["status"] == "green", health

    assert replicas(admin) == {"0"}

    store.replay_spool()  # a batch refused while a replica was being promoted, if any
    assert store.spool.pending() == 0
    sent = {r.id: r for r in first} | ingest.sent
    assert admin.count(index=f"{PREFIX}-reviews")["count"] == len(sent)
    streamed = {r.id: r for r in store.iter_reviews(batch_size=1000)}
    assert streamed == sent  # every review once, written before and after the loss
    fed = [r.id for r in walk_feed(store, head)]
    assert len(fed) == len(set(fed)) == len(sent)
    store.close()
    admin.close()
