"""The 知乎 comments spider (``type: zhihu``): the comments on one answer, article or video,
read with a logged-in session the user supplies.

The session is the browser's ``Cookie`` header, taken at crawl time from the environment
variable named by ``cookie_env`` (never from the config file, never written anywhere). 知乎
signs its web requests (``x-zse-96``) with an obfuscated script that is not public and
stable, so this spider does not sign: where the site insists, it answers 403 with an
``error`` object and the source is recorded broken with the site's message, never
silently empty. Comments come sorted by score, so every crawl re-reads the first
``max_pages`` pages (``reread``) and the dedupe step drops what is stored.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import scrapy
from pydantic import Field

from crawlers.exceptions import PageFormatError
from crawlers.spiders.paged import Page
from crawlers.spiders.session import CookieEnv, SessionSpider
from crawlers.spiders.zhihu_api import parse_comments, to_raw_review
from models.config import MaxPages, PagedSource

DEFAULT_BASE_URL = "https://www.zhihu.com"
PAGE_SIZE = 20
CONTENT_URLS = {"answer": "https://www.zhihu.com/answer/{id}",
                "article": "https://zhuanlan.zhihu.com/p/{id}",
                "zvideo": "https://www.zhihu.com/zvideo/{id}"}


class ZhihuConfig(PagedSource):
    """Comments on one answer/article/video; ``cookie_env`` names the environment variable
    holding the logged-in session's Cookie header."""
    type: Literal["zhihu"]
    content_id: Annotated[str, Field(pattern=r"^\d{1,24}$")]
    kind: Literal["answer", "article", "zvideo"] = "answer"
    cookie_env: CookieEnv = "KOUBEI_ZHIHU_COOKIE"
    max_pages: MaxPages = 3


class ZhihuSpider(SessionSpider):
    name = "zhihu"
    site_name = "知乎"
    config_model = ZhihuConfig
    default_base_url = DEFAULT_BASE_URL
    reread = True
    first_cursor = ""
    # 401/403 carry the site's reason in an error object: read it instead of "HTTP 403"
    handle_httpstatus_list = [401, 403]

    def __init__(self, source: Any, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.content_url = CONTENT_URLS[source.kind].format(id=source.content_id)

    def request_for(self, cursor: Any) -> scrapy.Request:
        query = {"order_by": "score", "limit": PAGE_SIZE, "offset": cursor}
        path = f"/api/v4/comment_v5/{self.source.kind}s/{self.source.content_id}/root_comment"
        return scrapy.Request(f"{self.base_url}{path}?{urlencode(query)}",
                              headers=self.session_headers(Accept="application/json"),
                              meta=self.request_meta())

    def read_page(self, response: scrapy.http.Response, cursor: Any) -> Page:
        try:
            comments = parse_comments(response.body)
        except PageFormatError as exc:
            if response.status in (401, 403) and exc.reason != "api_refused":
                raise PageFormatError("api_refused", f"HTTP {response.status}: login required "
                                      "or request refused") from exc
            raise
        if response.status in (401, 403):
            raise PageFormatError("api_refused", f"HTTP {response.status} without a reason")
        page = Page(next=comments.next_offset)
        page.add(comments.comments,
                 lambda c: to_raw_review(c, self.source.name, self.content_url), "comment")
        return page
