"""The 小红书 note-comments spider (``type: xhs``): the comments on one note, read with a
logged-in session the user supplies (``crawlers.spiders.session``).

小红书's web client signs every API request (``X-s``, ``X-t``, ``x-s-common``) with an
obfuscated script whose algorithm changes (public re-implementations broke in 2023, 2025 and
2026): not public and stable, so this spider does not sign. Where the site insists it answers
HTTP 406 ``{"code": -1}`` (or 461/471 with a captcha) and the source is recorded broken with
that reason, never silently empty. The note's ``xsec_token`` (in the note's share link) is
sent as configured. Comments come sorted by the site, so every crawl re-reads the first
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
from crawlers.spiders.xhs_api import NOTE_URL, parse_comments, to_raw_review
from models.config import MaxPages, PagedSource

DEFAULT_BASE_URL = "https://edith.xiaohongshu.com"
CAPTCHA_STATUSES = (461, 471)


class XhsConfig(PagedSource):
    """Comments on one note (``note_id``, 24 hex digits; ``xsec_token`` from the note's share
    link); ``cookie_env`` names the environment variable holding the logged-in session."""
    type: Literal["xhs"]
    note_id: Annotated[str, Field(pattern=r"^[0-9a-f]{24}$")]
    xsec_token: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/=_\-]{0,200}$")] = ""
    cookie_env: CookieEnv = "KOUBEI_XHS_COOKIE"
    max_pages: MaxPages = 3


class XhsSpider(SessionSpider):
    name = "xhs"
    site_name = "小红书"
    config_model = XhsConfig
    default_base_url = DEFAULT_BASE_URL
    reread = True
    first_cursor = ""
    # these carry the site's reason (or a captcha's headers): read them instead of "HTTP 406"
    handle_httpstatus_list = [401, 403, 406, *CAPTCHA_STATUSES]

    def __init__(self, source: Any, **kwargs: Any):
        super().__init__(source, **kwargs)
        self.note_url = NOTE_URL.format(note_id=source.note_id)

    def request_for(self, cursor: Any) -> scrapy.Request:
        query = {"note_id": self.source.note_id, "cursor": cursor, "top_comment_id": "",
                 "image_formats": "jpg,webp,avif", "xsec_token": self.source.xsec_token}
        return scrapy.Request(
            f"{self.base_url}/api/sns/web/v2/comment/page?{urlencode(query)}",
            headers=self.session_headers(Accept="application/json",
                                         Origin="https://www.xiaohongshu.com",
                                         Referer="https://www.xiaohongshu.com/"),
            meta=self.request_meta())

    def read_page(self, response: scrapy.http.Response, cursor: Any) -> Page:
        if response.status in CAPTCHA_STATUSES:
            kind = response.headers.get("Verifytype", b"").decode("latin-1")[:40] or "?"
            raise PageFormatError("api_refused", f"HTTP {response.status}: the site asks for a "
                                  f"captcha (Verifytype {kind}); not solved here")
        comments = parse_comments(response.body, response.status)
        page = Page(next=comments.cursor, end_reason=comments.end_reason)
        if comments.end_reason != "last_page":
            self._problem(f"{response.url}: the next page's cursor cannot be used "
                          f"({comments.end_reason}); the list ends here")
        page.add(comments.comments,
                 lambda c: to_raw_review(c, self.source.name, self.note_url), "comment")
        return page
