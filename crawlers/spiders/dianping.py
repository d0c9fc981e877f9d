"""The 大众点评 shop-reviews spider (``type: dianping``): the reviews of one shop, read with a
logged-in session the user supplies (``crawlers.spiders.session``).

The review pages are HTML (``crawlers.spiders.dianping_page``). Without a session the site
redirects to its login page, and under load to its verification centre (a captcha): the
redirect is not followed (it leaves the site), it fails the page with where it pointed, and
the source is recorded broken. Pages come in the site's recommended order, so every crawl
re-reads the first ``max_pages`` pages (``reread``) and the dedupe step drops what is stored.

Part of the review text is drawn from SVG glyph sprites (``crawlers.spiders.dianping_glyphs``).
With ``decode_glyphs`` (the default) the page's glyph stylesheet and the SVG it names are read
before the page's reviews, once per crawl: only over http(s), only from the page's own host or
one of ``glyph_hosts`` (a link elsewhere is reported and not requested), without the session,
at most ``MAX_GLYPH_BYTES`` each, never following a redirect. With ``base_url`` set (a mirror,
a fixture server) they are read from that host at the same path. A file that cannot be read
is reported and its characters stay hidden (``□``).
"""
from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

import scrapy
from pydantic import Field

from crawlers.exceptions import PageFormatError
from crawlers.spiders.dianping_glyphs import GlyphMap, SvgRows, parse_css, parse_svg
from crawlers.spiders.dianping_page import ReviewsPage, parse_page, to_raw_review
from crawlers.spiders.paged import Page
from crawlers.spiders.session import CookieEnv, SessionSpider
from models.config import MaxPages, PagedSource

DEFAULT_BASE_URL = "https://www.dianping.com"
REDIRECTS = (301, 302, 303, 307, 308)
MAX_GLYPH_BYTES = 2 * 1024 * 1024
GlyphHost = Annotated[str, Field(pattern=r"^[a-z0-9.-]{1,100}$")]


class DianpingConfig(PagedSource):
    """Reviews of one shop (``shop_id``: the part after ``/shop/`` in its URL); ``cookie_env``
    names the environment variable holding the logged-in session."""
    type: Literal["dianping"]
    shop_id: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,32}$")]
    cookie_env: CookieEnv = "KOUBEI_DIANPING_COOKIE"
    max_pages: MaxPages = 3
    decode_glyphs: bool = True  # read the page's SVG glyph sprites (2 more requests a crawl)
    glyph_hosts: list[GlyphHost] = ["s3plus.meituan.net"]  # where glyph files may come from


class DianpingSpider(SessionSpider):
    name = "dianping"
    site_name = "大众点评"
    config_model = DianpingConfig
    default_base_url = DEFAULT_BASE_URL
    reread = True
    handle_httpstatus_list = [*REDIRECTS, 403]

    def __init__(self, source: Any, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.glyph_files: dict[str, bytes | None] = {}  # by address: read once a crawl
        self.glyph_maps: dict[str, GlyphMap] = {}  # by stylesheet address

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
        reviews = response.meta.get("koubei_reviews") or parse_page(response.body)
        glyphs = response.meta.get("koubei_glyphs")
        page = Page(next=cursor + 1 if reviews.has_next else None)
        page.add(reviews.items, lambda item: to_raw_review(item, self.source.name, glyphs),
                 "review")
        return page

    # --- the SVG glyph sprites --------------------------------------------------------------
    async def parse_page(self, response: scrapy.http.Response, cursor: Any, number: int):
        """Read the page's glyph files first (when it has any), then the page as usual."""
        if self.source.decode_glyphs and response.status == 200 and b"<svgmtsi" in response.body:
            try:
                reviews = parse_page(response.body)
            except PageFormatError:
                reviews = None  # reported by read_page
            if reviews is not None:
                response.meta["koubei_reviews"] = reviews
                response.meta["koubei_glyphs"] = await self.glyphs_for(response, reviews)
        for result in super().parse_page(response, cursor, number):
            yield result

    async def glyphs_for(self, response: scrapy.http.Response,
                         reviews: ReviewsPage) -> GlyphMap | None:
        for href in reviews.stylesheets:
            url = self.glyph_url(response, href)
            if url in self.glyph_maps:
                return self.glyph_maps[url]
            css = await self.glyph_file(url, response.url) if url else None
            if css is None:
                continue
            sheet = parse_css(css.decode("utf-8", "replace"))
            svgs: dict[str, SvgRows] = {}
            for sprite in sheet.sprites:
                svg_url = self.glyph_url(response, sprite.svg, base=url)
                body = await self.glyph_file(svg_url, url) if svg_url else None
                if body is None:
                    continue
                try:
                    svgs[sprite.svg] = parse_svg(body)
                except ValueError as exc:
                    self._glyph_problem(f"{svg_url}: glyph sprite not read: {exc}")
            if svgs:
                self.glyph_maps[url] = GlyphMap(sheet, svgs)
                return self.glyph_maps[url]
        return None

    def glyph_url(self, response: scrapy.http.Response, href: str,
                  base: str | None = None) -> str | None:
        """Where to read the glyph file ``href`` (as the page or stylesheet at ``base``
        links it), or None (reported) when it is not on an allowed host."""
        try:
            parts = urlsplit(urljoin(base or response.url, href.strip()))
            host = parts.hostname or ""
        except ValueError:
            parts, host = None, ""
        allowed = {urlsplit(response.url).hostname, *self.source.glyph_hosts}
        if parts is None or parts.scheme not in ("http", "https") or host not in allowed:
            self._glyph_problem(f"{response.url}: glyph file {href[:200]!r} not read: not "
                                "http(s) on the page's host or glyph_hosts")
            return None
        if self.source.base_url:  # a mirror or a fixture server serves the glyph files too
            mirror = urlsplit(self.base_url)
            parts = parts._replace(scheme=mirror.scheme, netloc=mirror.netloc)
        return urlunsplit(parts)

    async def glyph_file(self, url: str, referer: str) -> bytes | None:
        """The body of the glyph file at ``url`` (read once a crawl), None when it failed."""
        if url in self.glyph_files:
            return self.glyph_files[url]
        self.glyph_files[url] = None
        request = scrapy.Request(url, headers={"Accept": "*/*", "Referer": referer},
                                 dont_filter=True,
                                 meta={"dont_redirect": True, "dont_merge_cookies": True,
                                       "download_maxsize": MAX_GLYPH_BYTES})
        try:
            answer = await self.crawler.engine.download_async(request)
        except Exception as exc:  # noqa: BLE001 - any download failure leaves □
            self._glyph_problem(f"{url}: glyph file not read: {type(exc).__name__}: {exc}")
            return None
        if answer.status != 200:
            self._glyph_problem(f"{url}: glyph file not read: HTTP {answer.status}")
            return None
        self._inc("glyph_file_count")
        self.glyph_files[url] = answer.body
        return answer.body

    def _glyph_problem(self, message: str) -> None:
        self._inc("glyph_error_count")
        self._problem(message + " (its characters stay hidden)")


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
