"""Bring documents written under an older index template up to the current one
(``koubei store upgrade``).

Template version 2 added ``aspect_keys`` (the aspect filter and ``group_by="aspect"`` read
it); version 3 indexes ``reposts`` and ``author_followers`` and adds ``reach`` (their sum with
``likes`` and ``replies``; ``ReviewQuery.min_reach`` and sorting by reach read it). The store
writes them with every review since, but a review stored before and never re-ingested with a
change lacks them, so those filters silently miss it. The upgrade finds such documents
(``aspects`` set but ``aspect_keys`` missing, or ``reach`` missing) and adds the fields with a
partial update, computed from the document's own ``_source`` (a partial update re-indexes the
whole document, so ``reposts`` and ``author_followers``, already in ``_source``, become
searchable with it):

- the review's content, ``content_hash`` and feed ``seq`` stay as they are, so nothing shows
  up in the live feed again and a later re-ingest still counts as unchanged;
- each update is conditional on the document's sequence number (``if_seq_no``): a review that
  a writer replaced meanwhile already carries the field and is left alone (counted as
  ``replaced``), never overwritten with keys from its older aspects.

The minimal test distribution has no ``_update_by_query``, and a script there would need the
same care, so the updates are computed here and sent as bulk ``update`` actions.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from models.review import REACH_COUNTS
from models.store.base import aspect_keys
from models.store.elasticsearch.bulk import BulkAction, send_bulk

PAGE = 1_000

LACKING_ASPECT_KEYS = {"bool": {"filter": [{"exists": {"field": "aspects"}}],
                                "must_not": [{"exists": {"field": "aspect_keys"}}]}}
LACKING_REACH = {"bool": {"must_not": [{"exists": {"field": "reach"}}]}}
OUTDATED = {"bool": {"should": [LACKING_ASPECT_KEYS, LACKING_REACH], "minimum_should_match": 1}}


@dataclass
class UpgradeResult:
    upgraded: int = 0
    replaced: int = 0   # changed by a writer meanwhile (and so already current)
    rejected: int = 0   # refused for another reason, each logged with its review id


def pending_upgrades(store) -> int:
    """How many documents of ``store`` (an ``ElasticsearchReviewStore``) need the upgrade."""
    return store.client.count(index=store.names.alias, query=OUTDATED)["count"]


def upgrade_documents(store, progress: Callable[[int], None] | None = None) -> UpgradeResult:
    """Add ``aspect_keys`` and ``reach`` to every document lacking them; ``progress`` gets
    each page's size."""
    client, result = store.client, UpgradeResult()
    after = None
    while True:
        # by id: pages are not refreshed in between, so the cursor, not the upgrade itself,
        # moves the walk on (and a document whose update failed is not read again)
        hits = client.search(index=store.names.alias, query=OUTDATED, size=PAGE,
                             source=["aspects", *REACH_COUNTS], seq_no_primary_term=True,
                             sort=[{"id": "asc"}], search_after=after)["hits"]["hits"]
        if not hits:
            client.indices.refresh(index=store.names.pattern)
            return result
        actions = [_update(hit) for hit in hits]
        outcome = send_bulk(client, actions, store.url, store.retry)
        for rejection in outcome.rejections:
            if rejection.status == 409:
                result.replaced += 1
            else:
                result.rejected += 1
        result.upgraded += len(actions) - len(outcome.rejections)
        if progress is not None:
            progress(len(hits))
        after = hits[-1]["sort"]


def _update(hit: dict) -> BulkAction:
    source = hit["_source"]
    fields = {"aspect_keys": aspect_keys(source.get("aspects") or []),
              "reach": sum(_count(source.get(name)) for name in REACH_COUNTS)}
    doc = json.dumps({"doc": fields}, ensure_ascii=False, separators=(",", ":"))
    return BulkAction("update", hit["_index"], hit["_id"], doc,
                      condition=(hit["_seq_no"], hit["_primary_term"]))


def _count(value) -> int:
    """A stored count (absent in documents written before the field existed: 0)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
