"""Review storage: the ``ReviewStore`` contract and the backend chosen by config.

Backends are named in config (``store.backend``) and resolved through ``BACKENDS`` to a dotted
path, so a deployment can also name its own class (``mypackage.stores.MyStore``).
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from models.store.base import (
    AGGREGATIONS,
    GROUP_FIELDS,
    GROUP_FILTERS,
    MULTI_VALUED,
    Aggregation,
    ReviewPage,
    ReviewQuery,
    ReviewStore,
    StoreStats,
    TrendPoint,
    UpsertResult,
    aspect_key,
    rating_key,
)

BACKENDS = {
    "sqlite": "models.store.sqlite.store.SQLiteReviewStore",
    "elasticsearch": "models.store.elasticsearch.store.ElasticsearchReviewStore",
}

__all__ = ["AGGREGATIONS", "Aggregation", "BACKENDS", "GROUP_FIELDS", "GROUP_FILTERS",
           "MULTI_VALUED",
           "ReviewPage", "ReviewQuery", "ReviewStore",
           "StoreStats", "TrendPoint", "UpsertResult", "aspect_key", "open_review_store",
           "rating_key"]


def open_review_store(backend: str, home: Path, **options: Any) -> ReviewStore:
    """Instantiate the backend named ``backend`` (a short name or a dotted class path).

    Each backend class takes ``home`` (the data directory) plus its own keyword options.
    """
    dotted = BACKENDS.get(backend, backend)
    module_name, _, class_name = dotted.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"unknown review store backend {backend!r}: {exc}") from exc
    return cls(home=home, **options)
