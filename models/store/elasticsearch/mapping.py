"""Index design of the Elasticsearch review store.

- One index per month of ``published_at`` (``<prefix>-reviews-2026.11``), all created from one
  index template with explicit mappings and joined to the read alias ``<prefix>-reviews``.
- The review id is the document ``_id`` (and a keyword ``id`` field, because sorting on
  ``_id`` is disabled by default), so re-ingesting a review overwrites it.
- ``_source`` is the review's own ``to_dict()`` plus bookkeeping fields (``seq``, the feed
  position; ``content_hash``; ``fingerprint``; ``aspect_keys``), so a stored review
  round-trips exactly.
- ``text`` is analysed for phrase search; ``tokens`` holds the jieba tokens under the built-in
  ``whitespace`` analyzer (no server plugin needed) with a ``tokens.raw`` keyword sub-field for
  term aggregations; the rest are keyword / numeric fields; ``extra`` is stored, not indexed.
- ``published_at`` is ``date_nanos`` so that microsecond windows are exact.
- Reach (template version 3): ``likes``, ``replies``, ``reposts`` and ``author_followers`` are
  ``long`` fields, and the bookkeeping field ``reach`` holds their sum (``Review.reach``), so
  ``ReviewQuery.min_reach`` is one range filter and a search can sort by reach. Documents
  written under version 2 carry ``reposts``/``author_followers`` in ``_source`` but not indexed
  and lack ``reach``: ``koubei store upgrade`` adds it (``upgrade``, docs/deploy.md).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from models.review import REACH_COUNTS, Review
from models.store.base import aspect_keys

TEMPLATE_VERSION = 3  # 2: aspect_keys; 3: reposts, author_followers, reach

MAPPINGS = {
    "dynamic": False,
    "properties": {
        "id": {"type": "keyword"},
        "seq": {"type": "long"},
        "content_hash": {"type": "keyword", "index": False},
        "fingerprint": {"type": "keyword", "index": False},
        "source": {"type": "keyword"},
        "platform": {"type": "keyword"},
        "native_id": {"type": "keyword"},
        "url": {"type": "keyword", "index": False},
        "entities": {"type": "keyword"},
        "author": {"type": "keyword"},
        "title": {"type": "text"},
        "text": {"type": "text"},
        "text_norm": {"type": "text"},
        "script": {"type": "keyword"},
        "rating": {"type": "float"},
        "likes": {"type": "long"},
        "replies": {"type": "long"},
        "reposts": {"type": "long"},
        "author_followers": {"type": "long"},
        "reach": {"type": "long"},  # bookkeeping: Review.reach, the sum of the four above
        "published_at": {"type": "date_nanos"},
        "crawled_at": {"type": "date_nanos"},
        "sentiment": {"properties": {"label": {"type": "keyword"},
                                     "score": {"type": "float"},
                                     "model": {"type": "keyword"}}},
        "topics": {"type": "keyword"},
        "aspects": {"type": "keyword"},
        # ``aspects`` above is a flat list (topic and polarity apart): the pairs as
        # ``aspect_key`` values, for ``ReviewQuery.aspects`` and ``group_by="aspect"``
        "aspect_keys": {"type": "keyword"},
        "keywords": {"type": "keyword"},
        "tokens": {"type": "text", "analyzer": "whitespace",
                   "fields": {"raw": {"type": "keyword", "ignore_above": 256}}},
        "flags": {"type": "keyword"},
        "extra": {"type": "object", "enabled": False},
    },
}

# Keyword field behind each ``GROUP_FIELDS`` name.
GROUP_KEYS = {"sentiment": "sentiment.label", "entity": "entities", "source": "source",
              "topic": "topics", "platform": "platform", "aspect": "aspect_keys",
              "rating": "rating"}
# Single-valued fields: a review without a value counts under the key None (as in SQLite).
SCALAR_GROUPS = {"sentiment", "source", "platform", "rating"}

class IndexNames:
    """The names derived from ``index_prefix``."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.alias = f"{prefix}-reviews"
        self.pattern = f"{prefix}-reviews-*"
        self.template = f"{prefix}-reviews"
        self.meta = f"{prefix}-meta"

    def monthly(self, published_at: datetime) -> str:
        t = published_at.astimezone(timezone.utc)
        return f"{self.alias}-{t.year:04d}.{t.month:02d}"


def template_body(names: IndexNames) -> dict:
    return {
        "index_patterns": [names.pattern],
        "priority": 200,
        "version": TEMPLATE_VERSION,
        "template": {
            # one replica where the cluster has a second node, none on a single node
            "settings": {"number_of_shards": 1, "auto_expand_replicas": "0-1"},
            "mappings": MAPPINGS,
            "aliases": {names.alias: {}},
        },
        "_meta": {"owner": "koubei", "description": "Koubei reviews, one index per month"},
    }


def document_parts(review: Review, stable: str, digest: str) -> tuple[str, str]:
    """The stored ``_source`` as the text before and after its ``seq`` value: the review's
    ``to_dict()`` plus the bookkeeping fields (``aspect_keys``, ``reach``), spliced onto the
    already serialised stable part instead of serialising the review twice. ``seq`` is taken
    only when the batch is written, so the rest is prepared ahead (``es_writes``)."""
    # formatted by hand: every value is an ISO time, an integer or a hex digest (no escaping);
    # the aspect keys (Chinese topic names) go through json.dumps
    aspects = json.dumps(aspect_keys(review.aspects), ensure_ascii=False, separators=(",", ":"))
    return (f'{stable[:-1]},"crawled_at":"{review.crawled_at.isoformat()}","seq":',
            f',"content_hash":"{digest}","fingerprint":"{review.fingerprint()}",'
            f'"aspect_keys":{aspects},"reach":{stored_reach(review)}}}')


def stored_reach(review: Review) -> int:
    """``Review.reach`` for the ``reach`` field, counting only whole-number counts: a review
    whose count is not a number still gets a document (which the mapping then refuses for
    that field, one rejection reported with its id) instead of failing its whole batch."""
    counts = (getattr(review, name) for name in REACH_COUNTS)
    return sum(c for c in counts if isinstance(c, int) and not isinstance(c, bool))


def from_document(source: dict) -> Review:
    return Review.from_dict(source)  # from_dict ignores the bookkeeping fields
