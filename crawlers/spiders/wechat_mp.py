"""The 微信公众号 articles spider (``type: wechat_mp``): the articles one 公众号 publishes,
listed with the user's own 公众号 admin session, or a given list of article links.

With ``fakeid`` (the account's id, as the admin console's search shows it) the article list
is read from the admin console (``/cgi-bin/appmsg?action=list_ex``, five a page, newest first)
with the user's session: the ``Cookie`` header from ``cookie_env`` and the console's ``token``
from ``token_env`` (both read from the environment at crawl time, never from the config, never
written anywhere: the token is masked in every problem reported). Each listed article's page
is then read (without the session) for its text. Incremental: the list stops at an article
already stored or published before the watermark.

With ``articles`` (links to ``mp.weixin.qq.com`` articles) no session is needed: each linked
page is read, every crawl (the dedupe step drops what is stored unchanged).

Refusals: the list's ``base_resp.ret`` not 0 (``200003`` invalid session, ``200013``
frequency control) fails the first page, so the source is recorded broken with the code; a
verification page on an article (环境异常, 请在微信客户端打开链接) records the whole crawl
refused (``wechat_mp/refused``), so the source is recorded broken too, and no further page
is read. A deleted or blocked article is dropped as ``article_unavailable`` with the site's
words. Links in the list are attacker-controlled: only ``mp.weixin.qq.com`` article links are
read, rebuilt from their ``__biz``/``mid``/``idx``/``sn`` on the configured host.

robots.txt: the site disallows the list and the article pages for every agent, so with the
default ``obey_robots`` the crawl is refused before any request (docs/sources.md §13).

Reach: read and like counts are not on the page; WeChat serves them only to its own client
(a per-user ``key``), so they are not collected (likes, replies and reposts stay 0).
"""
from __future__ import annotations

import os
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlencode, urlsplit

import scrapy
from pydantic import AfterValidator, Field, model_validator
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.items import RawReview
from crawlers.spiders.paged import Page, PagedReviewSpider
from crawlers.spiders.session import CookieEnv, SessionSpider
from crawlers.spiders.wechat_mp_page import (
    Refused,
    Unavailable,
    article_ref,
    parse_article,
    parse_list,
    to_raw_review,
    to_ref,
)
from models.config import MaxPages, PagedSource

DEFAULT_BASE_URL = "https://mp.weixin.qq.com"
PAGE_SIZE = 5
MAX_ARTICLES = 100
REDIRECTS = (301, 302, 303, 307, 308)
_TOKEN = re.compile(r"^\d{1,20}$")


def _article_link(link: str) -> str:
    try:
        article_ref(link)
    except EntryFormatError as exc:
        raise ValueError(f"{link[:100]!r}: {exc.detail}") from exc
    return link


ArticleLink = Annotated[str, Field(max_length=2000), AfterValidator(_article_link)]


class WechatMpConfig(PagedSource):
    """The articles of one 公众号 (``fakeid``, listed with the user's admin session from
    ``cookie_env`` and ``token_env``), or the articles at the given ``articles`` links
    (no session needed). Exactly one of the two."""
    type: Literal["wechat_mp"]
    fakeid: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/=_-]{1,64}$")] | None = None
    articles: Annotated[list[ArticleLink], Field(max_length=MAX_ARTICLES)] = []
    cookie_env: CookieEnv = "KOUBEI_WECHAT_MP_COOKIE"
    token_env: CookieEnv = "KOUBEI_WECHAT_MP_TOKEN"
    max_pages: MaxPages = 3

    @model_validator(mode="after")
    def _one_way_to_find_articles(self) -> "WechatMpConfig":
        if bool(self.fakeid) == bool(self.articles):
            raise ValueError("give exactly one of fakeid (an account's articles, with the "
                             "admin session) or articles (links to read)")
        return self


class WechatMpSpider(SessionSpider):
    name = "wechat_mp"
    site_name = "微信公众平台"
    config_model = WechatMpConfig
    default_base_url = DEFAULT_BASE_URL
    first_cursor = 0
    handle_httpstatus_list = list(REDIRECTS)

    def __init__(self, source: Any, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.refs = [article_ref(link) for link in source.articles]
        if self.refs:  # given links: each is a page, all read every crawl
            self.reread, self.max_pages = True, len(self.refs)
        self.refusal: str | None = None

    # --- the session: only the list needs it ---------------------------------------------
    def session_token(self) -> str | None:
        token = os.environ.get(self.source.token_env, "").strip()
        return token if _TOKEN.match(token) else None

    async def start(self):
        if self.refs:
            async for request in PagedReviewSpider.start(self):
                yield request
            return
        if self.session_cookie() is not None and self.session_token() is None:
            self._refused_before_start(
                f"{self.source.name}: no 公众号 token: the environment variable "
                f"{self.source.token_env} is not set or not a number (the token= of the "
                "logged-in mp.weixin.qq.com console's address)")
            return
        async for request in super().start():
            yield request

    def _problem(self, message: str) -> None:
        token = "" if self.refs else self.session_token()
        super()._problem(message.replace(token, "<token>") if token else message)

    # --- pages ------------------------------------------------------------------------------
    def request_for(self, cursor: Any) -> scrapy.Request:
        if self.refs:
            return self.article_request(self.refs[cursor].target)
        query = {"action": "list_ex", "begin": cursor, "count": PAGE_SIZE,
                 "fakeid": self.source.fakeid, "type": 9, "query": "",
                 "token": self.session_token() or "", "lang": "zh_CN", "f": "json", "ajax": 1}
        return scrapy.Request(f"{self.base_url}/cgi-bin/appmsg?{urlencode(query)}",
                              headers=self.session_headers(Accept="application/json"),
                              meta={**self.request_meta(), "dont_redirect": True})

    def article_request(self, target: str, **kwargs: Any) -> scrapy.Request:
        """The article at ``target`` (a path and query) on the configured host, without the
        session (article pages are public)."""
        return scrapy.Request(f"{self.base_url}{target}", headers={"Accept": "text/html"},
                              meta={"dont_redirect": True, "dont_merge_cookies": True},
                              **kwargs)

    def read_page(self, response: scrapy.http.Response, cursor: Any) -> Page:
        if self.refusal:
            return Page(end_reason="refused")
        if response.status in REDIRECTS:
            raise self._refused(Refused("api_refused", _redirect_reason(response)))
        if self.refs:
            return self.read_given_article(response, cursor)
        articles = parse_list(response.body)
        following = cursor + PAGE_SIZE
        page = Page(next=following if articles.rows and following < articles.total else None)
        page.add(articles.rows, self.list_item, "article")
        return page

    def read_given_article(self, response: scrapy.http.Response, index: int) -> Page:
        ref = self.refs[index]
        page = Page(next=index + 1 if index + 1 < len(self.refs) else None)
        try:  # a deleted article (an entry error) is dropped; a refusal fails the page
            page.add([response.body], lambda body: to_raw_review(ref, parse_article(body),
                                                                 self.source.name), "article")
        except Refused as exc:
            raise self._refused(exc)
        return page

    def cursor_after_failure(self, cursor: Any) -> Any:
        more = self.refs and not self.refusal and cursor + 1 < len(self.refs)
        return cursor + 1 if more else None

    def list_item(self, row: Any) -> RawReview:
        """What the list says about an article (completed by ``read_article``)."""
        ref = to_ref(row)
        extra: dict[str, Any] = {} if ref.published_at else {"published_at_estimated": True}
        return RawReview(source=self.source.name, platform="wechat_mp",
                         native_id=ref.native_id, text=ref.digest or ref.title or "",
                         title=ref.title, author=ref.author,
                         published_at=ref.published_at or self.crawl_time,
                         url=f"https://mp.weixin.qq.com{ref.target}", extra=extra)

    # --- a listed article's own page ----------------------------------------------------------
    def emit(self, item: RawReview):
        if self.refusal:
            return
        parts = urlsplit(item.url or "")
        target = f"{parts.path}?{parts.query}" if parts.query else parts.path
        yield self.article_request(target, callback=self.read_article,
                                   errback=self.article_failed, cb_kwargs={"item": item},
                                   dont_filter=True)

    def read_article(self, response: scrapy.http.Response, item: RawReview):
        self._inc("article_page_count")
        try:
            if response.status in REDIRECTS:
                raise Refused("api_refused", _redirect_reason(response))
            article = parse_article(response.body)
            if article.published_at:
                item.extra.pop("published_at_estimated", None)
            ref = article_ref(item.url or "")
            ref.title, ref.author, ref.digest = item.title, item.author, item.text
            ref.published_at = None if item.extra.get("published_at_estimated") else \
                item.published_at
            ref.extra = item.extra
            yield to_raw_review(ref, article, self.source.name)
        except Refused as exc:
            self._refused(exc)
            self._problem(f"{response.url}: {exc}")
        except (Unavailable, EntryFormatError) as exc:
            self._inc(f"entry_dropped/{exc.reason}")
            self._problem(f"{response.url}: article {item.native_id}: {exc}")
        except PageFormatError as exc:
            self._inc("article_error_count")
            self._problem(f"{response.url}: cannot read the article: {exc}")

    def article_failed(self, failure: Failure):
        self._inc("article_error_count")
        reason = (f"HTTP {failure.value.response.status}" if failure.check(HttpError)
                  else f"{failure.type.__name__}: {failure.getErrorMessage()}")
        self._problem(f"{failure.request.url}: cannot read the article: {reason}")
        return None

    def _refused(self, exc: PageFormatError) -> PageFormatError:
        """Record that the site refuses this crawl (the source is then recorded broken)."""
        if self.refusal is None:
            self.refusal = str(exc)
            self.crawler.stats.set_value(f"{self.name}/refused", exc.detail)
            self._stop("refused")
        return exc


def _redirect_reason(response: scrapy.http.Response) -> str:
    location = response.headers.get("Location", b"").decode("latin-1")[:300]
    host = urlsplit(location).hostname or "the same site"
    return (f"HTTP {response.status}: redirected to {host} (a login or verification page; "
            "not followed)")
