"""Scrapy's retry, plus ``Retry-After``: a retryable response (429, 503...) that says how long
to wait is retried after that wait, when it is at most ``RETRY_AFTER_MAX_DELAY`` seconds; a
longer wait is not retried (the page fails and the next crawl tries again). A "slow down" status
(``KOUBEI_BACKOFF_HTTP_CODES``: 412, 418, 429) without ``Retry-After`` is retried after an
exponential backoff (``backoff_seconds``). Waiting inside the middleware holds the domain's
download slot, which is the point: nothing else is sent meanwhile. Counted as
``retry_after/wait_count`` and ``retry_after/backoff_count``."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.asyncio import sleep

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` value (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def backoff_seconds(settings, retry_times: int) -> float:
    """``KOUBEI_BACKOFF_DELAY`` doubled for each retry already made, at most
    ``KOUBEI_BACKOFF_MAX_DELAY``."""
    base = settings.getfloat("KOUBEI_BACKOFF_DELAY", 5.0)
    return min(base * 2 ** retry_times, settings.getfloat("KOUBEI_BACKOFF_MAX_DELAY", 60.0))


class RetryAfterMiddleware(RetryMiddleware):
    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        delay = retry_after_seconds(response.headers.get(b"Retry-After"))
        retries_left = request.meta.get("retry_times", 0) < request.meta.get(
            "max_retry_times", self.max_retry_times)
        if delay is not None and retries_left:
            limit = self.crawler.settings.getfloat("RETRY_AFTER_MAX_DELAY", 60.0)
            if delay > limit:
                logger.warning("%s asks to retry after %.0fs (more than %.0fs): not retrying",
                               request.url, delay, limit)
                return response
            logger.info("%s answered %d; waiting %.1fs as Retry-After asks",
                        request.url, response.status, delay)
            self.crawler.stats.inc_value("retry_after/wait_count")
            await sleep(delay)
        elif retries_left and response.status in {int(code) for code in self.crawler.settings.getlist(
                "KOUBEI_BACKOFF_HTTP_CODES", [412, 418, 429])}:
            delay = backoff_seconds(self.crawler.settings, request.meta.get("retry_times", 0))
            logger.info("%s answered %d (slow down); backing off %.1fs",
                        request.url, response.status, delay)
            self.crawler.stats.inc_value("retry_after/backoff_count")
            await sleep(delay)
        return self._retry(request, f"{response.status} response") or response
