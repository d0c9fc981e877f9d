"""Last step: write reviews to the ``ReviewStore`` in batches of ``KOUBEI_STORE_BATCH_SIZE``,
or sooner: a batch is written ``KOUBEI_STORE_WINDOW`` seconds after its first review arrived,
so the reviews of one page are stored (and a crisis among them reaches the stored hooks)
while the crawl waits for its next page, not when the crawl ends; the remainder is written
when the spider closes. Without an asyncio event loop (the pipeline driven by hand) only size
and close write. Counts ``koubei/new``, ``koubei/updated`` and
``koubei/unchanged``; a failed write is counted as ``koubei/store_error_count`` with the error in
``koubei/store_error``, which makes the crawl a failure (its watermark is not advanced)."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

from scrapy.crawler import Crawler

from crawlers.checkpoints import note_persisted
from crawlers.settings import shared_runtime
from models.review import Review
from models.store import ReviewStore

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, store: ReviewStore, stats: Any, batch_size: int = 100,
                 on_stored: Callable[[list[Review]], Any] | None = None,
                 window: float = 0.1):
        self.store, self.stats, self.batch_size = store, stats, max(1, batch_size)
        self.on_stored = on_stored  # called with each stored batch (the runtime's stored hooks)
        self.window = window
        self.pending: list[Review] = []
        self._timer: asyncio.TimerHandle | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StorePipeline":
        runtime = shared_runtime(crawler.settings)
        return cls(runtime.store, crawler.stats,
                   crawler.settings.getint("KOUBEI_STORE_BATCH_SIZE", 100),
                   on_stored=runtime.reviews_stored,
                   window=crawler.settings.getfloat("KOUBEI_STORE_WINDOW", 0.1))

    def process_item(self, item: Review) -> Review:
        self.pending.append(item)
        if len(self.pending) >= self.batch_size:
            self.flush()
        elif self._timer is None:
            self._flush_later()
        return item

    def close_spider(self) -> None:
        self.flush()

    def _flush_later(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop: written by size or at close
            return
        self._timer = loop.call_later(self.window, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self.pending = self.pending, []
        if not batch:
            return
        try:
            result = self.store.upsert(batch)
        except Exception as exc:  # StoreError, or a backend error it failed to wrap
            self.stats.inc_value("koubei/store_error_count")
            self.stats.set_value("koubei/store_error", f"cannot store {len(batch)} reviews: {exc}")
            logger.error("cannot store %d reviews: %s", len(batch), exc)
            return
        for key in ("new", "updated", "unchanged"):
            self.stats.inc_value(f"koubei/{key}", getattr(result, key))
        for review in batch:
            note_persisted(self.stats, review)
        if self.on_stored is not None:
            self.on_stored(batch)
