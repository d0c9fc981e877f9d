"""The Weibo post-comments spider (``type: weibo``), best-effort. Comments come sorted by
popularity, so every crawl re-reads the first ``max_pages`` pages (``reread``) and the dedupe
step drops what is stored. ``ok: 0`` on the first page (no visitor cookie, refusal) is retried
with backoff and then fails the page with a clear reason; after the first page it ends the list.
``cookie_env`` (optional) names the environment variable holding the Cookie header of a
browser's visitor or logged-in session, sent with every request (``crawlers.spiders.session``).
"""
from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import scrapy
from pydantic import Field

from crawlers.exceptions import PageFormatError
from crawlers.spiders.json_body import load_json
from crawlers.spiders.paged import Page
from crawlers.spiders.session import CookieEnv, SessionSpider
from crawlers.spiders.weibo_api import is_refusal, parse_comments, to_raw_review
from models.config import MaxPages, PagedSource

DEFAULT_BASE_URL = "https://m.weibo.cn"


class WeiboConfig(PagedSource):
    """Comments of one post; sorted by popularity, so every crawl re-reads the first pages."""
    type: Literal["weibo"]
    mid: Annotated[str, Field(pattern=r"^\d+$")]
    max_pages: MaxPages = 3
    cookie_env: CookieEnv | None = None


class WeiboSpider(SessionSpider):
    name = "weibo"
    site_name = "Weibo"
    config_model = WeiboConfig
    default_base_url = DEFAULT_BASE_URL
    reread = True
    first_cursor = (None, 0)  # (max_id, max_id_type)

    def __init__(self, source: Any, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.post_url = f"https://m.weibo.cn/detail/{source.mid}"

    def request_for(self, cursor: Any) -> scrapy.Request:
        max_id, max_id_type = cursor
        query: dict[str, Any] = {"id": self.source.mid, "mid": self.source.mid}
        if max_id is not None:
            query["max_id"] = max_id
        query["max_id_type"] = max_id_type
        return scrapy.Request(f"{self.base_url}/comments/hotflow?{urlencode(query)}",
                              headers=self.session_headers(
                                  **{"Accept": "application/json",
                                     "X-Requested-With": "XMLHttpRequest"}),
                              meta=self.request_meta())

    def read_page(self, response: scrapy.http.Response, cursor: Any) -> Page:
        try:
            comments = parse_comments(response.body)
        except PageFormatError as exc:
            if exc.reason == "api_refused" and cursor[0] is not None:
                return Page()  # ok: 0 past the first page is how the list ends
            raise
        page = Page(next=(comments.max_id, comments.max_id_type) if comments.max_id else None)
        page.add(comments.comments,
                 lambda comment: to_raw_review(comment, self.source.name, self.post_url),
                 "comment")
        return page

    def slow_down_reason(self, response: scrapy.http.Response) -> str | None:
        try:
            document = load_json(response.body)
        except PageFormatError:
            return None
        first_page = "max_id=" not in response.url
        return "ok: 0" if first_page and is_refusal(document) else None
