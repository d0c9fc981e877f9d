"""The 抖音 video-comments spider (``type: douyin``): the comments on one video, read with a
logged-in session the user supplies (``crawlers.spiders.session``).

抖音's web client adds ``a_bogus`` (and ``msToken``) to every API request, computed by an
obfuscated bytecode script that changes (public re-implementations broke again in 2025):
not public and stable, so this spider does not sign. Where the site insists it answers
HTTP 200 with an empty body, and the source is recorded broken with that reason, never
silently empty. Comments come sorted by popularity, so every crawl re-reads the first
``max_pages`` pages (``reread``) and the dedupe step drops what is stored.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import scrapy
from pydantic import Field

from crawlers.spiders.douyin_api import VIDEO_URL, parse_comments, to_raw_review
from crawlers.spiders.paged import Page
from crawlers.spiders.session import CookieEnv, SessionSpider
from models.config import MaxPages, PagedSource

DEFAULT_BASE_URL = "https://www.douyin.com"
PAGE_SIZE = 20
# the web client's fixed parameters (the device and browser ones are left out: no signature
# is sent, so there is nothing for them to agree with)
CLIENT = {"device_platform": "webapp", "aid": "6383", "channel": "channel_pc_web"}


class DouyinConfig(PagedSource):
    """Comments on one video (``aweme_id``, the number in the video's URL); ``cookie_env``
    names the environment variable holding the logged-in session."""
    type: Literal["douyin"]
    aweme_id: Annotated[str, Field(pattern=r"^\d{1,25}$")]
    cookie_env: CookieEnv = "KOUBEI_DOUYIN_COOKIE"
    max_pages: MaxPages = 3


class DouyinSpider(SessionSpider):
    name = "douyin"
    site_name = "抖音"
    config_model = DouyinConfig
    default_base_url = DEFAULT_BASE_URL
    reread = True
    first_cursor = 0

    def request_for(self, cursor: Any) -> scrapy.Request:
        query = {**CLIENT, "aweme_id": self.source.aweme_id, "cursor": cursor,
                 "count": PAGE_SIZE, "item_type": 0}
        return scrapy.Request(
            f"{self.base_url}/aweme/v1/web/comment/list/?{urlencode(query)}",
            headers=self.session_headers(
                Accept="application/json",
                Referer=VIDEO_URL.format(aweme_id=self.source.aweme_id)),
            meta=self.request_meta())

    def read_page(self, response: scrapy.http.Response, cursor: Any) -> Page:
        comments = parse_comments(response.body, cursor)
        page = Page(next=comments.cursor, end_reason=comments.end_reason)
        if comments.end_reason != "last_page":
            self._problem(f"{response.url}: the next page's cursor cannot be used "
                          f"({comments.end_reason}); the list ends here")
        page.add(comments.comments,
                 lambda c: to_raw_review(c, self.source.name, self.source.aweme_id), "comment")
        return page
