"""The Ctrip attraction-comments spider (``type: ctrip``): JSON POSTs of ``pageIndex`` 1..,
newest first (``sortType: 3``), stopping at the watermark, an empty page or the page count."""
from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import scrapy
from pydantic import Field

from crawlers.spiders.ctrip_api import parse_comments, to_raw_review
from crawlers.spiders.paged import Page, PagedReviewSpider
from models.config import PagedSource

DEFAULT_BASE_URL = "https://m.ctrip.com"
PATH = "/restapi/soa2/13444/json/getCommentCollapseList"
PAGE_SIZE = 10


class CtripConfig(PagedSource):
    type: Literal["ctrip"]
    poi_id: Annotated[str, Field(pattern=r"^\d+$")]


class CtripSpider(PagedReviewSpider):
    name = "ctrip"
    config_model = CtripConfig
    default_base_url = DEFAULT_BASE_URL

    def request_for(self, cursor: Any) -> scrapy.Request:
        body = {"arg": {"poiId": int(self.source.poi_id), "pageIndex": cursor,
                        "pageSize": PAGE_SIZE, "sortType": 3, "commentTagId": 0,
                        "collapseType": 0, "channelType": 2},
                "head": {"cid": "", "ctok": "", "cver": "1.0", "lang": "01", "sid": "8888",
                         "syscode": "09", "auth": "", "extension": []}}
        return scrapy.Request(f"{self.base_url}{PATH}", method="POST",
                              body=json.dumps(body).encode(),
                              headers={"Content-Type": "application/json"})

    def read_page(self, response: scrapy.http.Response, cursor: Any) -> Page:
        comments = parse_comments(response.body)
        page = Page()
        page.add(comments.items,
                 lambda item: to_raw_review(item, self.source.name, self.source.poi_id), "item")
        if comments.total is not None:
            more = cursor * PAGE_SIZE < comments.total
        else:
            more = len(comments.items) >= PAGE_SIZE
        page.next = cursor + 1 if more and comments.items else None
        return page

    def cursor_after_failure(self, cursor: Any) -> Any:
        return cursor + 1
