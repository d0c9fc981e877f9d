"""Second step: drop a review seen earlier in this crawl (``koubei/dropped/duplicate``) and a
review the store already holds unchanged (``koubei/unchanged``, logged at DEBUG only).

"Unchanged" compares ``Review.fingerprint()`` — what the site says — with the stored one. The
entities matched by analysis are part of the fingerprint, so the candidate borrows the stored
review's entities (they derive from the text, which the fingerprint also covers). A review
whose time was estimated (the site gave none) keeps its stored time instead of moving to now.
A review whose site status changed (a complaint's 处理中 → 已完成, ``extra.status``) carries
the stored history of those changes plus this one in ``extra.status_updates``
(``[{"from", "to", "seen_at"}]``, the last 20), so updating it keeps the history. A
complaint whose own page could not be read this time (no ``extra.progress``) keeps the
progress stored before instead of losing it.
"""
from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawlers.checkpoints import note_persisted
from crawlers.items import RawReview
from crawlers.settings import shared_runtime
from models.review import utcnow
from models.store import ReviewStore

MAX_STATUS_UPDATES = 20


class DedupePipeline:
    def __init__(self, store: ReviewStore, stats: Any):
        self.store, self.stats = store, stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "DedupePipeline":
        return cls(shared_runtime(crawler.settings).store, crawler.stats)

    def process_item(self, item: RawReview) -> RawReview:
        review_id = item.id
        if review_id in self.seen:
            self.stats.inc_value("koubei/dropped/duplicate")
            raise DropItem(f"duplicate: review {item.native_id} twice in one crawl")
        self.seen.add(review_id)
        stored = self.store.get(review_id)  # one read: None for a new review
        if stored is None:
            return item
        if item.extra.get("published_at_estimated"):
            item.published_at = stored.published_at
        if "progress" not in item.extra and isinstance(stored.extra.get("progress"), list):
            item.extra["progress"] = stored.extra["progress"]
        candidate = item.to_review(stored.entities)
        if candidate.fingerprint() == stored.fingerprint():
            self.stats.inc_value("koubei/unchanged")
            note_persisted(self.stats, candidate)
            raise DropItem(f"unchanged: review {item.native_id}", log_level="DEBUG")
        _carry_status_updates(item, stored.extra)
        return item


def _carry_status_updates(item: RawReview, stored: dict[str, Any]) -> None:
    history = stored.get("status_updates")
    history = list(history) if isinstance(history, list) else []
    before, now = stored.get("status"), item.extra.get("status")
    if now is not None and before is not None and before != now:
        history.append({"from": before, "to": now, "seen_at": utcnow().isoformat()})
    if history:
        item.extra["status_updates"] = history[-MAX_STATUS_UPDATES:]
