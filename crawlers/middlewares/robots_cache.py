"""Scrapy's robots.txt middleware, remembering each site's robots.txt across crawls.

Scrapy's own middleware asks a site for ``/robots.txt`` at the start of every crawl, and the
politeness delay then holds the first page back by about a second: a source crawled every
15 s asked its site for robots.txt 240 times an hour. RFC 9309 §2.4 lets a crawler cache
robots.txt (for no more than 24 hours); here a ``200`` answer is kept in the data directory
(``robots-cache/``, one file per scheme and host) for ``KOUBEI_ROBOTS_CACHE_TTL`` seconds
(default 3600) and obeyed exactly as a fresh one, by every crawl of any source on that site.
Any other outcome (an error status, a download failure) is not kept: the next crawl asks
again. ``KOUBEI_ROBOTS_CACHE_TTL = 0`` asks every time. Counted as ``robotstxt/cached``.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

from crawlers.settings import shared_runtime

FOLDER = "robots-cache"


class CachedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's ``RobotsTxtMiddleware`` (its parsers by host in ``_parsers``), first looking
    in the data directory for the site's robots.txt a recent crawl read."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.ttl = crawler.settings.getfloat("KOUBEI_ROBOTS_CACHE_TTL", 3600.0)
        self.folder = shared_runtime(crawler.settings).home / FOLDER

    async def robot_parser(self, request: Request) -> RobotParser | None:
        url = urlparse_cached(request)
        if url.netloc not in self._parsers:
            body = self._remembered(f"{url.scheme}://{url.netloc}")
            if body is not None:
                self._stats.inc_value("robotstxt/cached")
                self._parsers[url.netloc] = build_from_crawler(self._parserimpl, self.crawler,
                                                               body)
        return await super().robot_parser(request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        await super()._parse_robots(response, netloc, request)
        if response.status == 200 and self.ttl > 0:
            self._remember(f"{urlparse_cached(request).scheme}://{netloc}", response.body)

    def _path(self, site: str) -> Path:
        return self.folder / (hashlib.sha256(site.encode()).hexdigest()[:32] + ".txt")

    def _remembered(self, site: str) -> bytes | None:
        path = self._path(site)
        try:
            if self.ttl <= 0 or time.time() - path.stat().st_mtime > self.ttl:
                return None
            return path.read_bytes()
        except OSError:  # not kept (yet)
            return None

    def _remember(self, site: str, body: bytes) -> None:
        try:  # written whole or not at all: a crawl reading meanwhile sees the old one
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
            with os.fdopen(handle, "wb") as out:
                out.write(body)
            os.replace(temporary, self._path(site))
        except OSError:
            pass  # not kept: the next crawl asks the site again
