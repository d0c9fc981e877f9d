"""The App Store customer-reviews spider: walks the feed pages newest first and yields one
``RawReview`` per review entry. It only parses; everything after is the item pipeline. The
crawl itself (incremental stop at known reviews and the watermark, ``max_pages``, failed pages,
stats) is ``PagedReviewSpider``'s; this module says how to request and read a feed page.

The last page comes from the feed's ``rel=last`` link; without one, a page of fewer than 50
reviews is the last (stop reason ``short_page``). The app's own metadata entry, which the feed
puts first, is counted (``appstore/metadata_entry_count``) and skipped. A page that fails is
skipped and the next one tried, the first page too: the feed serves a broken page now and then.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

import scrapy
from pydantic import Field

from crawlers.items import RawReview
from crawlers.spiders.appstore_feed import is_app_metadata, parse_feed, to_raw_review
from crawlers.spiders.paged import Page, PagedReviewSpider
from models.config import SourceBase

DEFAULT_BASE_URL = "https://itunes.apple.com"
PAGE_SIZE = 50


class AppStoreConfig(SourceBase):
    type: Literal["appstore"]
    app_id: Annotated[str, Field(pattern=r"^\d+$")]
    country: Annotated[str, Field(pattern=r"^[a-z]{2}$")] = "cn"
    max_pages: Annotated[int, Field(ge=1, le=10)] = 10


class AppStoreSpider(PagedReviewSpider):
    name = "appstore"
    config_model = AppStoreConfig
    default_base_url = DEFAULT_BASE_URL
    probe_after_first_failure = True

    def __init__(self, source: Any, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.last_page: int | None = None

    def page_url(self, page: int) -> str:
        return (f"{self.base_url}/{self.source.country}/rss/customerreviews/page={page}"
                f"/id={self.source.app_id}/sortby=mostrecent/json")

    def request_for(self, cursor: int) -> scrapy.Request:
        return scrapy.Request(self.page_url(cursor))

    def cursor_after_failure(self, cursor: int) -> int | None:
        return cursor + 1 if self.last_page is None or cursor < self.last_page else None

    def _review(self, entry: dict) -> RawReview | None:
        if is_app_metadata(entry):
            self._inc("metadata_entry_count")
            return None
        return to_raw_review(entry, self.source.name, self.crawl_time)

    def read_page(self, response: scrapy.http.Response, cursor: int) -> Page:
        feed = parse_feed(response.body)  # PageFormatError when it does not parse
        self.last_page = feed.last_page or self.last_page
        page = Page()
        page.add(feed.entries, self._review, "entry")
        if self.last_page is not None:
            page.next = cursor + 1 if cursor < self.last_page else None
        elif len(page.reviews) + len(page.dropped) >= PAGE_SIZE:
            page.next = cursor + 1
        else:
            page.end_reason = "short_page"
        return page
