"""The App Store customer-reviews spider: walks the feed pages newest first and yields one
``RawReview`` per review entry. It only parses; everything after is the item pipeline.

Incremental stop (the feed is sorted newest first): at a review whose native id is among the
checkpoint's ``known_ids``, at a review published before the ``watermark`` (reviews published
exactly at it are still yielded, since several reviews can share one second and the dedupe step
drops those already stored), at a page without ``entry``, at the last page (from the
``rel=last`` link; without one, a page of fewer than 50 reviews is the last), or after
``max_pages``. A page that fails (HTTP error after retries, invalid JSON) is logged with its URL
and counted, and the next page is tried; two failed pages in a row, or a connection failure,
end the crawl.

Stats: ``appstore/page_count`` (pages received), ``appstore/page_parse_error_count``,
``appstore/http_error_count``, ``appstore/download_error_count``, ``appstore/review_count``
(review entries read), ``appstore/metadata_entry_count``, ``appstore/entry_dropped/<reason>``,
``appstore/stop_reason``, ``appstore/problems`` (the first problems, each with its URL).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Iterator

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.items import RawReview
from crawlers.spiders.appstore_feed import is_app_metadata, parse_feed, to_raw_review
from models.config import AppStoreSource
from models.review import utcnow

DEFAULT_BASE_URL = "https://itunes.apple.com"
PAGE_SIZE = 50
MAX_FAILED_PAGES_IN_A_ROW = 2
MAX_PROBLEMS_KEPT = 20


class AppStoreSpider(scrapy.Spider):
    name = "appstore"

    def __init__(self, source: AppStoreSource, watermark: datetime | None = None,
                 known_ids: Iterable[str] = (), crawl_time: datetime | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.source, self.watermark = source, watermark
        self.known_ids = frozenset(known_ids)
        self.crawl_time = crawl_time or utcnow()
        self.base_url = (source.base_url or DEFAULT_BASE_URL).rstrip("/")
        self.last_page: int | None = None
        self.failed_in_a_row = 0

    def page_url(self, page: int) -> str:
        return (f"{self.base_url}/{self.source.country}/rss/customerreviews/page={page}"
                f"/id={self.source.app_id}/sortby=mostrecent/json")

    def page_request(self, page: int) -> scrapy.Request:
        return scrapy.Request(self.page_url(page), callback=self.parse_page,
                              errback=self.page_failed, cb_kwargs={"page": page},
                              dont_filter=True)

    async def start(self):
        yield self.page_request(1)

    def parse_page(self, response: scrapy.http.Response, page: int) -> Iterator[Any]:
        stats = self.crawler.stats
        stats.inc_value("appstore/page_count")
        try:
            feed = parse_feed(response.body)
        except PageFormatError as exc:
            stats.inc_value("appstore/page_parse_error_count")
            yield from self._page_failed(page, response.url, f"cannot parse the page: {exc}")
            return
        self.failed_in_a_row = 0
        self.last_page = feed.last_page or self.last_page
        if not feed.entries:
            self._stop("empty_page", f"{response.url} has no entries")
            return
        reviews_on_page = 0
        for index, entry in enumerate(feed.entries):
            if is_app_metadata(entry):
                stats.inc_value("appstore/metadata_entry_count")
                continue
            reviews_on_page += 1
            try:
                item = to_raw_review(entry, self.source.name, self.crawl_time)
            except EntryFormatError as exc:
                stats.inc_value(f"appstore/entry_dropped/{exc.reason}")
                self._problem(f"{response.url} entry {index}: {exc}")
                continue
            stats.inc_value("appstore/review_count")
            if self._seen_before(item):
                return
            yield item
        if self.last_page is None and reviews_on_page < PAGE_SIZE:
            self._stop("short_page", f"{response.url} is not full and no last page is given")
            return
        yield from self._next(page)

    def page_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """Errback: an HTTP error after retries, a connection failure, a robots.txt refusal."""
        request, page = failure.request, failure.request.cb_kwargs["page"]
        if failure.check(HttpError):
            status = failure.value.response.status
            self.crawler.stats.inc_value("appstore/http_error_count")
            yield from self._page_failed(page, request.url, f"HTTP {status}")
            return
        self.crawler.stats.inc_value("appstore/download_error_count")
        reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        self._problem(f"{request.url}: cannot download: {reason}")
        self._stop("download_error")

    def _page_failed(self, page: int, url: str, reason: str) -> Iterator[scrapy.Request]:
        self._problem(f"{url}: {reason}")
        self.failed_in_a_row += 1
        if self.failed_in_a_row >= MAX_FAILED_PAGES_IN_A_ROW:
            self._stop("failed_pages")
            return
        yield from self._next(page)

    def _next(self, page: int) -> Iterator[scrapy.Request]:
        limit = min(self.source.max_pages, self.last_page or self.source.max_pages)
        if page < limit:
            yield self.page_request(page + 1)
        else:
            self._stop("max_pages" if page >= self.source.max_pages else "last_page")

    def _seen_before(self, item: RawReview) -> bool:
        if item.native_id in self.known_ids:
            self._stop("known_review", f"review {item.native_id} was stored before")
            return True
        estimated = item.extra.get("published_at_estimated")
        if self.watermark and not estimated and item.published_at < self.watermark:
            self._stop("watermark", f"review {item.native_id} is older than the checkpoint")
            return True
        return False

    def _stop(self, reason: str, detail: str = "") -> None:
        self.crawler.stats.set_value("appstore/stop_reason", reason)
        self.logger.debug("stopping: %s %s", reason, detail)

    def _problem(self, message: str) -> None:
        stats = self.crawler.stats
        problems = stats.get_value("appstore/problems") or []
        if len(problems) < MAX_PROBLEMS_KEPT:
            stats.set_value("appstore/problems", [*problems, message])
        stats.set_value("appstore/last_problem", message)
        self.logger.warning(message)
