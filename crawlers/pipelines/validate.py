"""First step: a raw review must have an id or text, a timezone-aware time and a 0–5 rating (or
none); its text is cleaned (control characters removed, capped at ``KOUBEI_MAX_TEXT_CHARS``,
see ``crawlers.cleaning``), its author and title are tidied, and lone surrogates are replaced
in every field and in ``extra``. Counts (likes, replies, reposts, author followers) are
whole numbers from 0 to ``MAX_COUNT``: a site claiming more is capped (named in
``extra.counts_capped``), so a hostile page cannot overflow a store's 64-bit integer field."""
from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawlers.cleaning import MAX_TEXT_CHARS, clean_field, clean_surrogates, clean_text
from crawlers.items import RawReview
from models.review import REACH_COUNTS

logger = logging.getLogger(__name__)
MAX_COUNT = 10**12  # far above any real count (the most-followed accounts have ~10**9)


class ValidatePipeline:
    def __init__(self, stats: Any, max_text_chars: int = MAX_TEXT_CHARS):
        self.stats, self.max_text_chars = stats, max_text_chars

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ValidatePipeline":
        return cls(crawler.stats, crawler.settings.getint("KOUBEI_MAX_TEXT_CHARS", MAX_TEXT_CHARS))

    def process_item(self, item: RawReview) -> RawReview:
        """Return the cleaned item, or raise ``DropItem`` naming the reason."""
        if not isinstance(item, RawReview):
            self._drop("not_a_review", f"unexpected item type {type(item).__name__}")
        text, original_length = clean_text(item.text or "", self.max_text_chars)
        if not text:
            self._drop("empty_text", f"review {item.native_id} has no text")
        if item.published_at is None or item.published_at.tzinfo is None:
            self._drop("no_time", f"review {item.native_id} has no timezone-aware time")
        if item.rating is not None and not 0 <= item.rating <= 5:
            self._drop("invalid_rating", f"review {item.native_id} rating {item.rating} is not 0-5")
        if original_length is not None:
            item.extra["text_truncated_from"] = original_length
            self.stats.inc_value("koubei/text_truncated")
            logger.info("review %s text cut from %d to %d characters",
                        item.native_id, original_length, len(text))
        item.text = text
        self._cap_counts(item)
        item.author, item.title = clean_field(item.author), clean_field(item.title)
        item.native_id, item.url = clean_surrogates(item.native_id), clean_surrogates(item.url)
        item.extra = clean_surrogates(item.extra)
        return item

    def _cap_counts(self, item: RawReview) -> None:
        for name in REACH_COUNTS:
            value = getattr(item, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                setattr(item, name, 0)
            elif value > MAX_COUNT:
                setattr(item, name, MAX_COUNT)
                item.extra.setdefault("counts_capped", []).append(name)
                self.stats.inc_value("koubei/count_capped")

    def _drop(self, reason: str, detail: str) -> None:
        self.stats.inc_value(f"koubei/dropped/{reason}")
        raise DropItem(f"{reason}: {detail}")
