"""Third step: turn the raw review into a ``models.Review`` carrying its source's entities and
analyse it with ``nlp.enrich.Enricher`` (normalised text, script, tokens, sentiment, topics,
matched entities, flags).

Scrapy hands the items of one page to the pipeline concurrently; the reviews that arrive within
``KOUBEI_ENRICH_WINDOW`` seconds of each other (at most ``KOUBEI_ENRICH_BATCH_SIZE``) are
analysed in one ``enrich`` call, because the model costs about a tenth per review in a batch
(0.4 ms against 5 ms, measured). Without an asyncio event loop each review is analysed alone.

A review the analyser fails on is dropped as ``enrich_failed`` so one odd text cannot stop the
crawl; the first error is kept in ``koubei/enrich_error``, and a crawl that could analyse
nothing (no model, say) is judged failed. ``koubei/enrich_batches`` counts ``enrich`` calls.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.asyncio import is_asyncio_available

from crawlers.items import RawReview
from crawlers.settings import shared_runtime
from models.config import KoubeiConfig
from models.review import Review
from nlp.enrich import Enricher

logger = logging.getLogger(__name__)
# id(config) -> (config, the analyser the crawls of that config share); the config is kept so
# that its id cannot be reused by another config.
_ENRICHERS: dict[int, tuple[KoubeiConfig, Enricher]] = {}


def shared_enricher(config: KoubeiConfig) -> Enricher:
    """The analyser every crawl of ``config`` in this process uses: crawls running together
    share one, and a spare crawl child builds and exercises it ahead of its crawl
    (``web.crawl_child``), since loading the model and building the segmenter with the
    config's entity words is the slowest part of starting a crawl."""
    shared = _ENRICHERS.get(id(config))
    if shared is None or shared[0] is not config:
        shared = _ENRICHERS[id(config)] = (config, Enricher.from_config(config))
    return shared[1]


class EnrichPipeline:
    def __init__(self, config: KoubeiConfig, enricher: Enricher, stats: Any,
                 batch_size: int = 100, window: float = 0.02):
        self.enricher, self.stats = enricher, stats
        self.batch_size, self.window = max(1, batch_size), window
        self.entities = {s.name: list(s.entities) for s in config.sources}
        self.pending: list[tuple[Review, asyncio.Future]] = []
        self._timer: asyncio.TimerHandle | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "EnrichPipeline":
        config = shared_runtime(crawler.settings).config
        enricher = shared_enricher(config)
        return cls(config, enricher, crawler.stats,
                   crawler.settings.getint("KOUBEI_ENRICH_BATCH_SIZE", 100),
                   crawler.settings.getfloat("KOUBEI_ENRICH_WINDOW", 0.02))

    async def process_item(self, item: RawReview) -> Review:
        """Return the analysed review, or raise ``DropItem`` (``enrich_failed``)."""
        review = item.to_review(self.entities.get(item.source, ()))
        if not is_asyncio_available():
            self._analyse([review])
            return self._result(review)
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.pending.append((review, future))
        if len(self.pending) >= self.batch_size:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.window, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self.pending = self.pending, []
        self._analyse([review for review, _ in batch])
        for review, future in batch:
            try:
                future.set_result(self._result(review))
            except DropItem as exc:
                future.set_exception(exc)

    def _analyse(self, reviews: list[Review]) -> None:
        self.stats.inc_value("koubei/enrich_batches")
        try:
            self.enricher.enrich(reviews)
        except Exception as exc:  # the analyser is a boundary: find the reviews it fails on
            if len(reviews) > 1:
                for review in reviews:
                    self._analyse([review])
                return
            review = reviews[0]
            review.extra["enrich_error"] = repr(exc)
            if self.stats.get_value("koubei/enrich_error") is None:
                self.stats.set_value("koubei/enrich_error", f"cannot analyse reviews: {exc}")
            logger.exception("cannot analyse review %s", review.native_id)

    def _result(self, review: Review) -> Review:
        error = review.extra.pop("enrich_error", None)
        if error is None:
            return review
        self.stats.inc_value("koubei/dropped/enrich_failed")
        raise DropItem(f"enrich_failed: review {review.native_id}: {error}")
