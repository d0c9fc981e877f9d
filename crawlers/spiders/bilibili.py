"""The bilibili video-comments spider (``type: bilibili``), newest first (``sort=0`` on the
page-number API, ``mode=2`` on the cursor API), stopping at the watermark. ``-412``/``-352``
answers are backed off by ``SlowDownMiddleware`` and then count as failed pages.

The cursor API's ``w_rid``/``wts`` signature is not computed (it needs keys from a logged-in
page), so ``api: cursor`` works only where the API answers unsigned requests."""
from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import scrapy
from pydantic import Field

from crawlers.exceptions import PageFormatError
from crawlers.spiders.bilibili_api import SLOW_DOWN_CODES, api_code, parse_replies, to_raw_review
from crawlers.spiders.json_body import load_json
from crawlers.spiders.paged import Page, PagedReviewSpider
from models.config import PagedSource

DEFAULT_BASE_URL = "https://api.bilibili.com"
PAGE_SIZE = 20


class BilibiliConfig(PagedSource):
    type: Literal["bilibili"]
    oid: Annotated[str, Field(pattern=r"^\d+$")]  # the video's numeric aid
    api: Literal["page", "cursor"] = "page"


class BilibiliSpider(PagedReviewSpider):
    name = "bilibili"
    config_model = BilibiliConfig

    def __init__(self, source: Any, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.base_url = (source.base_url or DEFAULT_BASE_URL).rstrip("/")
        self.first_cursor = 1 if source.api == "page" else ""
        self.video_url = f"https://www.bilibili.com/video/av{source.oid}"

    def request_for(self, cursor: Any) -> scrapy.Request:
        if self.source.api == "page":
            query = {"type": 1, "oid": self.source.oid, "sort": 0, "pn": cursor,
                     "ps": PAGE_SIZE, "nohot": 1}
            return scrapy.Request(f"{self.base_url}/x/v2/reply?{urlencode(query)}")
        pagination = json.dumps({"offset": cursor}, separators=(",", ":"))
        query = {"oid": self.source.oid, "type": 1, "mode": 2, "pagination_str": pagination}
        return scrapy.Request(f"{self.base_url}/x/v2/reply/wbi/main?{urlencode(query)}")

    def read_page(self, response: scrapy.http.Response, cursor: Any) -> Page:
        replies = parse_replies(response.body)
        page = Page()
        page.add(replies.replies,
                 lambda reply: to_raw_review(reply, self.source.name, self.video_url), "reply")
        if self.source.api == "page":
            last = replies.page_count
            full = len(replies.replies) >= PAGE_SIZE
            page.next = cursor + 1 if (last is None and full) or (last and cursor < last) else None
        elif not replies.is_end and replies.next_offset:
            page.next = replies.next_offset
        return page

    def cursor_after_failure(self, cursor: Any) -> Any:
        return cursor + 1 if self.source.api == "page" else None

    def slow_down_reason(self, response: scrapy.http.Response) -> str | None:
        try:
            code = api_code(load_json(response.body))
        except PageFormatError:
            return None
        return f"API code {code}" if code in SLOW_DOWN_CODES else None
