"""Fixtures for the store tests: one Elasticsearch node for the whole session.

``KOUBEI_ES_URL`` names a running node to use instead; otherwise the node is started from the
distribution ``make elasticsearch`` unpacked, and stopped at the end of the session. Without
either the Elasticsearch tests skip, and under ``CI=true`` they fail.
"""
from __future__ import annotations

import os
import uuid

import pytest

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


@pytest.fixture
def es_prefix(es_url):
    """A fresh index prefix; every index and template under it is deleted afterwards."""
    from elasticsearch import Elasticsearch
    prefix = f"kbt-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = Elasticsearch(es_url)
    names = list(client.indices.get(index=f"{prefix}-*", allow_no_indices=True))
    if names:
        client.indices.delete(index=",".join(names))
    client.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-reviews")
    client.close()
