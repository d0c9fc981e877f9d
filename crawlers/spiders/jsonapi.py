"""The configured JSON API spider (``type: jsonapi``). Pagination: ``page`` sets
``page_param`` to ``first_page``, +1 each page, until ``stop`` is true or a page has no items;
``cursor`` sets ``cursor_param`` to the ``next_cursor`` value of the previous page until it is
empty; ``none`` reads one page. With ``method: POST`` the page or cursor goes into the JSON
``body`` instead of the URL."""
from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import jmespath
import scrapy
from jmespath.exceptions import JMESPathError
from pydantic import AfterValidator
from w3lib.url import add_or_replace_parameter

from crawlers.spiders.configured_review import build_review
from crawlers.spiders.json_api import compile_paths, field_values, parse_page
from crawlers.spiders.paged import Page, PagedReviewSpider
from crawlers.spiders.source_url import absolute_url
from models.config import ReadSettings, Strict


def _jmespath(value: str | None) -> str | None:
    if value is not None:
        try:
            jmespath.compile(value)
        except JMESPathError as exc:
            raise ValueError(f"not a valid JMESPath expression {value!r}: {exc}") from None
    return value


JmesPath = Annotated[str, AfterValidator(_jmespath)]


class JsonApiFields(Strict):
    """JMESPath expressions inside one item."""
    text: JmesPath
    id: JmesPath | None = None
    author: JmesPath | None = None
    title: JmesPath | None = None
    rating: JmesPath | None = None
    time: JmesPath | None = None
    link: JmesPath | None = None
    likes: JmesPath | None = None
    replies: JmesPath | None = None


class JsonApiConfig(ReadSettings):
    type: Literal["jsonapi"]
    items: JmesPath                     # JMESPath of the item list
    fields: JsonApiFields
    method: Literal["GET", "POST"] = "GET"
    body: dict[str, object] = {}    # POST: JSON body; the page/cursor goes in it, not the URL
    pagination: Literal["page", "cursor", "none"] = "page"
    page_param: str = "page"
    first_page: int = 1
    cursor_param: str = "cursor"
    next_cursor: JmesPath | None = None  # JMESPath of the next cursor (pagination: cursor)
    stop: JmesPath | None = None         # JMESPath; a true value means this is the last page


class JsonApiSpider(PagedReviewSpider):
    name = "jsonapi"
    config_model = JsonApiConfig

    def __init__(self, source: Any, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.url = absolute_url(source)
        self.paths = compile_paths(source)
        self.platform = urlsplit(source.url).hostname or urlsplit(self.url).hostname or "json"
        self.first_cursor = source.first_page if source.pagination == "page" else None

    def request_for(self, cursor: Any) -> scrapy.Request:
        param = {"page": self.source.page_param,
                 "cursor": self.source.cursor_param}.get(self.source.pagination)
        if cursor is None:
            param = None
        headers = {"Accept": "application/json"}
        if self.source.method == "POST":
            body = dict(self.source.body) | ({param: cursor} if param else {})
            return scrapy.Request(self.url, method="POST", body=json.dumps(body).encode(),
                                  headers={**headers, "Content-Type": "application/json"})
        url = add_or_replace_parameter(self.url, param, str(cursor)) if param else self.url
        return scrapy.Request(url, headers=headers)

    def read_page(self, response: scrapy.http.Response, cursor: Any) -> Page:
        api = parse_page(response.body, self.paths)
        page = Page()
        page.add(api.items,
                 lambda item: build_review(field_values(item, self.paths), self.source,
                                           self.platform, response.url, self.crawl_time),
                 "item")
        if api.stop or not api.items or self.source.pagination == "none":
            return page
        if self.source.pagination == "page":
            page.next = cursor + 1
        elif api.next_cursor not in (None, "", 0, False) and api.next_cursor != cursor:
            page.next = api.next_cursor
        return page

    def cursor_after_failure(self, cursor: Any) -> Any:
        return cursor + 1 if self.source.pagination == "page" else None
