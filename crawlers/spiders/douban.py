"""The Douban short-comments spider (``type: douban``): ``sort=time``, 20 per page, following
``#paginator a.next`` and stopping at the watermark, an empty page or a page without a next
link. Douban serves about 200 comments without login; the spider never logs in."""
from __future__ import annotations

from typing import Annotated, Any, Literal

import scrapy
from pydantic import Field

from crawlers.spiders.douban_page import parse_page, to_raw_review
from crawlers.spiders.paged import Page, PagedReviewSpider
from models.config import PagedSource

DEFAULT_BASE_URLS = {"movie": "https://movie.douban.com", "book": "https://book.douban.com"}
PAGE_SIZE = 20


class DoubanConfig(PagedSource):
    type: Literal["douban"]
    subject_id: Annotated[str, Field(pattern=r"^\d+$")]
    kind: Literal["movie", "book"] = "movie"


class DoubanSpider(PagedReviewSpider):
    name = "douban"
    config_model = DoubanConfig
    first_cursor = 0  # the "start" offset

    def __init__(self, source: Any, **kwargs: Any):
        super().__init__(source, **kwargs)
        base = (source.base_url or DEFAULT_BASE_URLS[source.kind]).rstrip("/")
        self.subject_url = f"{base}/subject/{source.subject_id}/"

    def request_for(self, cursor: Any) -> scrapy.Request:
        return scrapy.Request(f"{self.subject_url}comments?start={cursor}&limit={PAGE_SIZE}"
                              f"&status=P&sort=time")

    def read_page(self, response: scrapy.http.Response, cursor: Any) -> Page:
        comments = parse_page(response.body)
        page = Page(next=cursor + PAGE_SIZE if comments.next_href else None)
        page.add(comments.items,
                 lambda item: to_raw_review(item, self.source.name, self.subject_url),
                 "comment-item")
        return page

    def cursor_after_failure(self, cursor: Any) -> Any:
        return cursor + PAGE_SIZE
