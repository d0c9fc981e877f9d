"""The bilibili video-comments spider (``type: bilibili``), newest first (``sort=0`` on the
page-number API, ``mode=2`` on the cursor API), stopping at the watermark. ``-412``/``-352``
answers are backed off by ``SlowDownMiddleware`` and then count as failed pages.

``api: cursor`` signs its requests (``w_rid``/``wts``, ``crawlers.spiders.bilibili_wbi``) with
the keys of ``/x/web-interface/nav``, read once at the start of a crawl; a nav answer without
keys fails the crawl with a clear reason."""
from __future__ import annotations

import json
import time
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import scrapy
from pydantic import Field

from crawlers.exceptions import PageFormatError
from crawlers.spiders.bilibili_api import SLOW_DOWN_CODES, api_code, parse_replies, to_raw_review
from crawlers.spiders.bilibili_wbi import keys_from_nav, signed_query
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
    default_base_url = DEFAULT_BASE_URL

    def __init__(self, source: Any, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.first_cursor = 1 if source.api == "page" else ""
        self.video_url = f"https://www.bilibili.com/video/av{source.oid}"
        self.mixin_key = ""

    def request_for(self, cursor: Any) -> scrapy.Request:
        if self.source.api == "page":
            query = {"type": 1, "oid": self.source.oid, "sort": 0, "pn": cursor,
                     "ps": PAGE_SIZE, "nohot": 1}
            return scrapy.Request(f"{self.base_url}/x/v2/reply?{urlencode(query)}")
        pagination = json.dumps({"offset": cursor}, separators=(",", ":"))
        query = {"oid": self.source.oid, "type": 1, "mode": 2, "pagination_str": pagination,
                 "plat": 1}
        signed = signed_query(query, self.mixin_key, int(time.time()))
        return scrapy.Request(f"{self.base_url}/x/v2/reply/wbi/main?{signed}")

    async def start(self):
        if self.source.api == "page":
            yield self.page_request(self.first_cursor, 1)
            return
        yield scrapy.Request(f"{self.base_url}/x/web-interface/nav", callback=self._signed_start,
                             errback=self._no_keys, dont_filter=True)

    def _signed_start(self, response: scrapy.http.Response):
        """Read the WBI keys, then ask for the first page signed with them."""
        try:
            self.mixin_key = keys_from_nav(response.body)
        except PageFormatError as exc:
            self._inc("page_count")
            self._inc("page_parse_error_count")
            self._no_keys(f"{response.url}: cannot sign requests: {exc}")
            return
        yield self.page_request(self.first_cursor, 1)

    def _no_keys(self, failure: Any) -> None:
        if isinstance(failure, str):
            message = failure
        else:
            self._inc("download_error_count")
            message = (f"{failure.request.url}: cannot read the signing keys: "
                       f"{failure.getErrorMessage()}")
        self._problem(message)
        self._stop("first_page_failed")

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
