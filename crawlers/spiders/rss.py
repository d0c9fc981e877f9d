"""The RSS 2.0 / Atom spider (``type: rss``): one feed URL, newest first, following
``rel="next"`` links up to ``max_pages`` (default 1)."""
from __future__ import annotations

from typing import Any, Literal

import scrapy

from crawlers.spiders.paged import Page, PagedReviewSpider
from crawlers.spiders.rss_feed import parse_feed, to_raw_review
from crawlers.spiders.source_url import absolute_url
from models.config import MaxPages, UrlSource


class RssConfig(UrlSource):
    """An RSS 2.0 or Atom feed."""
    type: Literal["rss"]
    max_pages: MaxPages = 1


class RssSpider(PagedReviewSpider):
    name = "rss"
    config_model = RssConfig

    def __init__(self, source: Any, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.first_cursor = absolute_url(source)

    def request_for(self, cursor: Any) -> scrapy.Request:
        return scrapy.Request(cursor)

    def read_page(self, response: scrapy.http.Response, cursor: Any) -> Page:
        feed = parse_feed(response.body)
        page = Page(next=response.urljoin(feed.next_url) if feed.next_url else None)
        page.add(feed.entries,
                 lambda entry: to_raw_review(entry, feed.kind, self.source.name, self.crawl_time),
                 "entry")
        return page
