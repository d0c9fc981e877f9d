"""Backoff on API-level "slow down" answers that arrive with HTTP 200 (bilibili ``code: -412``,
Weibo ``ok: 0``): the spider says what such an answer looks like through its
``slow_down_reason(response) -> str | None``; this middleware retries the request after an
exponential backoff (``crawlers.middlewares.retry_after.backoff_seconds``), up to
``RETRY_TIMES``, and then hands the last answer to the spider, which records the page as failed
with the reason. Counted as ``slow_down/backoff_count``."""
from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.asyncio import sleep

from crawlers.middlewares.retry_after import backoff_seconds

logger = logging.getLogger(__name__)


class SlowDownMiddleware(RetryMiddleware):
    async def process_response(self, request: Request, response: Response) -> Request | Response:
        judge = getattr(self.crawler.spider, "slow_down_reason", None)
        if response.status != 200 or judge is None or request.meta.get("dont_retry"):
            return response
        reason = judge(response)
        retry_times = request.meta.get("retry_times", 0)
        if reason is None or retry_times >= request.meta.get("max_retry_times",
                                                             self.max_retry_times):
            return response
        delay = backoff_seconds(self.crawler.settings, retry_times)
        logger.info("%s says %s; backing off %.1fs", request.url, reason, delay)
        self.crawler.stats.inc_value("slow_down/backoff_count")
        await sleep(delay)
        return self._retry(request, reason) or response
