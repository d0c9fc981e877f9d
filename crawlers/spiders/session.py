"""``SessionSpider``: a paged spider that reads with a logged-in session the user supplies
(知乎, 小红书, 抖音, 大众点评 show their comments only to a logged-in browser).

The session is the browser's ``Cookie`` request header, read at crawl time from the
environment variable the source's ``cookie_env`` names: never from the config file, never
written anywhere, sent only with this spider's own requests (``session_headers``), never
created or refreshed here. Without it the crawl fails before any request, so the source is
recorded broken with what to set, never silently empty. ``CookieEnv`` is the field's type.
A type whose session is optional (Weibo's visitor cookies, JD's) leaves ``cookie_env`` None
by default: then no Cookie header is sent, and the session is required once it is set.
"""
from __future__ import annotations

import os
from typing import Annotated, Any

from pydantic import Field

from crawlers.spiders.paged import PagedReviewSpider

CookieEnv = Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]{0,63}$")]


class SessionSpider(PagedReviewSpider):
    site_name = "the site"  # as the refusal message names it, e.g. "知乎"

    def session_cookie(self) -> str | None:
        """The Cookie header from the environment; None when no variable is configured, or
        it is unset, empty, or carries a line break (which would split the header)."""
        if not self.source.cookie_env:
            return None
        cookie = os.environ.get(self.source.cookie_env, "").strip()
        return cookie if cookie and "\n" not in cookie and "\r" not in cookie else None

    def session_headers(self, **more: str) -> dict[str, str]:
        cookie = self.session_cookie()
        return {**({"Cookie": cookie} if cookie else {}), **more}

    async def start(self):
        if self.source.cookie_env and self.session_cookie() is None:
            self._refused_before_start(
                f"{self.source.name}: no logged-in session: the environment variable "
                f"{self.source.cookie_env} is not set ({self.site_name} needs the Cookie header "
                "of a logged-in browser)")
            return
        async for request in super().start():
            yield request

    def request_meta(self) -> dict[str, Any]:
        """Meta for every request: the session header is sent as given (no cookie jar)."""
        return {"dont_merge_cookies": True}
