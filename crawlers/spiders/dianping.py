"""The 大众点评 shop-reviews spider (``type: dianping``): the reviews of one shop, read with a
logged-in session the user supplies (``crawlers.spiders.session``).

The review pages are HTML (``crawlers.spiders.dianping_page``). Without a session the site
redirects to its login page, and under load to its verification centre (a captcha): the
redirect is not followed (it leaves the site), it fails the page with where it pointed, and
the source is recorded broken. Part of the review text is drawn from glyph sprites that are
not decoded (see ``dianping_page``). Pages come in the site's recommended order, so every
crawl re-reads the first ``max_pages`` pages (``reread``) and the dedupe step drops what is
stored.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urljoin, urlsplit

import scrapy
from pydantic import Field

from crawlers.exceptions import PageFormatError
from crawlers.spiders.dianping_page import parse_page, to_raw_review
from crawlers.spiders.paged import Page
from crawlers.spiders.session import CookieEnv, SessionSpider
from models.config import MaxPages, PagedSource

DEFAULT_BASE_URL = "https://www.dianping.com"
REDIRECTS = (301, 302, 303, 307, 308)


class DianpingConfig(PagedSource):
    """Reviews of one shop (``shop_id``: the part after ``/shop/`` in its URL); ``cookie_env``
    names the environment variable holding the logged-in session."""
    type: Literal["dianping"]
    shop_id: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,32}$")]
    cookie_env: CookieEnv = "KOUBEI_DIANPING_COOKIE"
    max_pages: MaxPages = 3


class DianpingSpider(SessionSpider):
    name = "dianping"
    site_name = "大众点评"
    config_model = DianpingConfig
    default_base_url = DEFAULT_BASE_URL
    reread = True
    handle_httpstatus_list = [*REDIRECTS, 403]

    def request_for(self, cursor: Any) -> scrapy.Request:
        page = "" if cursor == 1 else f"/p{cursor}"
        return scrapy.Request(
            f"{self.base_url}/shop/{self.source.shop_id}/review_all{page}",
            headers=self.session_headers(Accept="text/html"),
            meta={**self.request_meta(), "dont_redirect": True})

    def read_page(self, response: scrapy.http.Response, cursor: Any) -> Page:
        if response.status in REDIRECTS:
            raise PageFormatError("api_refused", _redirect_reason(response))
        if response.status == 403:
            raise PageFormatError("api_refused", "HTTP 403: the site refused the session or "
                                                 "this address")
        reviews = parse_page(response.body)
        page = Page(next=cursor + 1 if reviews.has_next else None)
        page.add(reviews.items, lambda item: to_raw_review(item, self.source.name), "review")
        return page


def _redirect_reason(response: scrapy.http.Response) -> str:
    location = response.headers.get("Location", b"").decode("latin-1")[:300]
    host = urlsplit(urljoin(response.url, location)).hostname or "?"
    if "verify" in host:
        kind = "the verification centre (a captcha; not solved here)"
    elif "account" in host or "login" in location:
        kind = "the login page (the session is missing or expired)"
    else:
        kind = "another page"
    return f"HTTP {response.status}: redirected to {kind} at {host}"
