"""Fixtures for the store tests: one Elasticsearch node for the whole session.

``KOUBEI_ES_URL`` names a running node to use instead; otherwise the node is started from the
distribution ``make elasticsearch`` unpacked, and stopped at the end of the session. Without
either the Elasticsearch tests skip, and under ``CI=true`` they fail.
"""
from __future__ import annotations

import os
import uuid

import pytest
from elasticsearch import Elasticsearch

from tests.es_node import ElasticsearchNode, NodeError, distribution_available
from tests.support import require


@pytest.fixture(scope="session")
def es_url():
    if os.environ.get("KOUBEI_ES_URL"):
        yield os.environ["KOUBEI_ES_URL"]
        return
    require(distribution_available(), "Elasticsearch distribution (run `make elasticsearch`)")
    node = ElasticsearchNode()
    try:
        node.start()
    except NodeError as exc:
        require(False, f"an Elasticsearch node that starts: {exc}")
    yield node.url
    node.stop()


def _drop(es_url: str, prefix: str) -> None:
    client = Elasticsearch(es_url)
    names = list(client.indices.get(index=f"{prefix}-*", allow_no_indices=True))
    if names:
        client.indices.delete(index=",".join(names))
    client.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-reviews")
    client.close()


@pytest.fixture
def es_prefix(es_url):
    """A fresh index prefix; every index and template under it is deleted afterwards."""
    prefix = f"kbt-{uuid.uuid4().hex[:10]}"
    yield prefix
    _drop(es_url, prefix)


@pytest.fixture(scope="session")
def _shared_prefix(es_url):
    prefix = f"kbt-shared-{uuid.uuid4().hex[:8]}"
    yield prefix
    _drop(es_url, prefix)


@pytest.fixture
def empty_es_prefix(es_url, _shared_prefix):
    """A prefix whose indices exist but hold no review and no feed ledger: creating indices
    takes a node far longer than emptying them, so the contract suite reuses one prefix."""
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
