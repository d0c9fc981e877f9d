"""The JD.com product-comments spider (``type: jd``), best-effort: newest first
(``sortType=5``), pages 0.., stopping at the watermark or ``maxPage``. A ``{}`` answer fails the
page with a message saying JD refused the client. ``cookie_env`` (optional) names the
environment variable holding a logged-in session's Cookie header, sent with every request
(``crawlers.spiders.session``)."""
from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import scrapy
from pydantic import Field

from crawlers.spiders.jd_api import parse_comments, to_raw_review
from crawlers.spiders.paged import Page
from crawlers.spiders.session import CookieEnv, SessionSpider
from models.config import PagedSource

DEFAULT_BASE_URL = "https://club.jd.com"
PAGE_SIZE = 10


class JdConfig(PagedSource):
    type: Literal["jd"]
    sku: Annotated[str, Field(pattern=r"^\d+$")]
    cookie_env: CookieEnv | None = None


class JdSpider(SessionSpider):
    name = "jd"
    site_name = "JD"
    config_model = JdConfig
    default_base_url = DEFAULT_BASE_URL
    first_cursor = 0

    def request_for(self, cursor: Any) -> scrapy.Request:
        query = {"callback": "fetchJSON_comment98", "productId": self.source.sku, "score": 0,
                 "sortType": 5, "page": cursor, "pageSize": PAGE_SIZE}
        return scrapy.Request(
            f"{self.base_url}/comment/productPageComments.action?{urlencode(query)}",
            headers=self.session_headers(Referer=f"https://item.jd.com/{self.source.sku}.html"),
            meta=self.request_meta())

    def read_page(self, response: scrapy.http.Response, cursor: Any) -> Page:
        comments = parse_comments(response.text)  # JD declares charset=GBK
        page = Page()
        page.add(comments.comments,
                 lambda comment: to_raw_review(comment, self.source.name, self.source.sku),
                 "comment")
        last = comments.max_page
        more = cursor + 1 < last if last is not None else len(comments.comments) >= PAGE_SIZE
        page.next = cursor + 1 if more else None
        return page

    def cursor_after_failure(self, cursor: Any) -> Any:
        return cursor + 1
