"""The configured HTML spider (``type: html``): the list page at ``url``, review items and their
fields by the source's selectors, the next page by ``next_page``."""
from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

import scrapy

from crawlers.spiders.configured_review import build_review
from crawlers.spiders.html_page import field_values, parse_list
from crawlers.spiders.paged import Page, PagedReviewSpider
from crawlers.spiders.source_url import absolute_url
from models.config import ReadSettings, Strict


class HtmlFields(Strict):
    """Selectors inside one review item: CSS (``::text``, ``::attr(name)`` allowed) or XPath
    written as ``xpath:...``."""
    text: str
    id: str | None = None
    author: str | None = None
    title: str | None = None
    rating: str | None = None
    time: str | None = None
    link: str | None = None
    likes: str | None = None


class HtmlConfig(ReadSettings):
    type: Literal["html"]
    item: str                      # selector of one review on the list page
    fields: HtmlFields
    next_page: str | None = None   # selector of the next page's link (its href)


class HtmlSpider(PagedReviewSpider):
    name = "html"
    config_model = HtmlConfig

    def __init__(self, source: Any, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.first_cursor = absolute_url(source)
        self.platform = (urlsplit(source.url).hostname
                         or urlsplit(self.first_cursor).hostname or "html")

    def request_for(self, cursor: Any) -> scrapy.Request:
        return scrapy.Request(cursor)

    def read_page(self, response: scrapy.http.Response, cursor: Any) -> Page:
        listing = parse_list(response.body, self.source.item, self.source.next_page)
        page = Page(next=response.urljoin(listing.next_href) if listing.next_href else None)
        if page.next == response.url:
            page.next = None  # a "next" link to itself would loop
        page.add(listing.items,
                 lambda item: build_review(field_values(item, self.source.fields), self.source,
                                           self.platform, response.url, self.crawl_time),
                 "item")
        return page
