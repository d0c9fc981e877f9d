"""The contract suite on the Elasticsearch backend, against a real node."""
from __future__ import annotations

import pytest

from models.store.elasticsearch.store import ElasticsearchReviewStore
from tests.models.store_contract import ReviewStoreContract


@pytest.fixture
def store(tmp_path, es_url, es_prefix):
    store = ElasticsearchReviewStore(tmp_path, url=es_url, index_prefix=es_prefix)
    yield store
    store.close()


class TestElasticsearchContract(ReviewStoreContract):
    pass
