"""The Elasticsearch fixtures of every test package (a plugin of ``tests/conftest.py``): one
node for the whole session.

``KOUBEI_ES_URL`` names a running node to use instead; otherwise the node is started from the
distribution ``make elasticsearch`` unpacked -- in the background as soon as collection shows
that a test needs it -- and stopped at the end of the session. Without either the
Elasticsearch tests skip, and under ``CI=true`` they fail.
"""
from __future__ import annotations

import os
import threading
import uuid

import pytest
from elasticsearch import Elasticsearch

from tests.es_node import ElasticsearchNode, distribution_available, drop_prefix
from tests.support import require


class _EarlyNode:
    """The node, started in the background as soon as collection shows that a test needs it,
    so that its start-up overlaps the tests that run before the store tests."""
    node: ElasticsearchNode | None = None
    thread: threading.Thread | None = None
    error: Exception | None = None

    @classmethod
    def start(cls) -> None:
        if cls.thread is not None:
            return
        cls.node = ElasticsearchNode()

        def run() -> None:
            try:
                cls.node.start()
            except Exception as exc:  # reported by the es_url fixture
                cls.error = exc
        cls.thread = threading.Thread(target=run, name="elasticsearch-node", daemon=True)
        cls.thread.start()

    @classmethod
    def stop(cls) -> None:
        if cls.thread is not None:
            cls.thread.join()
            cls.node.stop()
            cls.thread = None


def pytest_collection_modifyitems(items):
    if os.environ.get("KOUBEI_ES_URL") or not distribution_available():
        return
    if any("es_url" in getattr(item, "fixturenames", ()) for item in items):
        _EarlyNode.start()


def pytest_sessionfinish(session):
    _EarlyNode.stop()


@pytest.fixture(scope="session")
def es_url():
    if os.environ.get("KOUBEI_ES_URL"):
        return os.environ["KOUBEI_ES_URL"]
    require(distribution_available(), "Elasticsearch distribution (run `make elasticsearch`)")
    _EarlyNode.start()
    _EarlyNode.thread.join()
    if _EarlyNode.error is not None:
        require(False, f"an Elasticsearch node that starts: {_EarlyNode.error}")
    return _EarlyNode.node.url


@pytest.fixture(scope="session")
def _shared_prefix(es_url):
    prefix = f"kbt-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = Elasticsearch(es_url)
    drop_prefix(client, prefix)
    client.close()


@pytest.fixture
def es_prefix(es_url, _shared_prefix):
    """An index prefix holding no review and no feed ledger. Creating indices takes a node far
    longer than emptying them, so every test reuses one prefix, emptied before it runs; the
    indices and template are deleted at the end of the session."""
    client = Elasticsearch(es_url)
    if client.indices.exists(index=f"{_shared_prefix}-*", allow_no_indices=False):
        # the minimal distribution has no _delete_by_query; tests store few documents
        hits = client.search(index=f"{_shared_prefix}-*", size=10_000, source=False,
                             query={"match_all": {}})["hits"]["hits"]
        if hits:
            client.bulk(refresh=True, operations=[
                {"delete": {"_index": h["_index"], "_id": h["_id"]}} for h in hits])
    client.close()
    return _shared_prefix
