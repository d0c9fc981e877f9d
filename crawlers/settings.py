"""Scrapy settings for every Koubei crawl, and ``crawl_settings`` which adds the per-source ones.

Politeness (docs/sources.md): robots.txt obeyed unless the source says ``obey_robots: false``
(a site's robots.txt is read again after an hour, not at every crawl:
``crawlers.middlewares.robots_cache``), a configurable User-Agent, AutoThrottle on, one
request at a time per domain (a source's ``concurrency`` raises it), retries on the "slow
down" and transient statuses (403 and 502 are intermittent on the App Store) honouring
``Retry-After`` or else backing off exponentially, no cookie jar (never log in; a session
type such as ``zhihu`` sends the user's own session header itself). Logging is quiet
(WARNING) by default. Only http(s) is downloaded, and a response over the source's
``max_response_bytes`` fails its page.
"""
from __future__ import annotations

import sys
from typing import Any

from scrapy.settings import Settings
from scrapy.utils.misc import load_object

BOT_NAME = "koubei"
USER_AGENT = "Koubei/0.1 (+review monitoring)"
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no listening port for a crawl
LOG_LEVEL = "WARNING"
LOG_INSTALL_ROOT_HANDLER = False  # the host process (or the child's main) owns logging
LOG_FORMATTER = "crawlers.log_formatter.OneLineLogFormatter"  # a dropped item: one line

CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 0.5
DOWNLOAD_TIMEOUT = 30
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [403, 408, 412, 418, 429, 500, 502, 503, 504, 522, 524]
RETRY_AFTER_MAX_DELAY = 60.0  # a longer Retry-After is not waited for: the page fails instead
# "Slow down" answers (HTTP 412/418/429 without Retry-After, API codes such as bilibili -412
# or weibo ok:0 with HTTP 200) are retried after KOUBEI_BACKOFF_DELAY, doubling per retry.
KOUBEI_BACKOFF_HTTP_CODES = [412, 418, 429]
KOUBEI_BACKOFF_DELAY = 5.0
KOUBEI_BACKOFF_MAX_DELAY = 60.0

# Only HTTP(S): a crawled page must never make the crawler read a local file (file://) or
# reach another protocol through a "next" link. Responses are capped (per source:
# ``max_response_bytes``, set by ``crawl_settings``).
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.middlewares.robots_cache.CachedRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.retry_after.RetryAfterMiddleware": 550,
    "crawlers.middlewares.slow_down.SlowDownMiddleware": 560,
}
ITEM_PIPELINES = {
    "crawlers.pipelines.validate.ValidatePipeline": 100,
    "crawlers.pipelines.dedupe.DedupePipeline": 200,
    "crawlers.pipelines.enrich.EnrichPipeline": 300,
    "crawlers.pipelines.store.StorePipeline": 400,
}
KOUBEI_MAX_TEXT_CHARS = 20_000
KOUBEI_ROBOTS_CACHE_TTL = 3600.0  # seconds a site's robots.txt is reused across crawls
KOUBEI_STORE_BATCH_SIZE = 100
KOUBEI_STORE_WINDOW = 0.1       # seconds a batch waits for more reviews before it is stored
KOUBEI_ENRICH_BATCH_SIZE = 100  # reviews analysed in one call, at most
KOUBEI_ENRICH_WINDOW = 0.02     # seconds a review waits for others to share its batch


class SharedRuntime:
    """Carries the crawl's ``Runtime`` through the settings. Scrapy deep-copies settings for
    each crawler; the runtime holds open stores, so it is shared instead of copied."""

    def __init__(self, runtime: Any):
        self.runtime = runtime

    def __deepcopy__(self, memo: dict) -> "SharedRuntime":
        return self


def shared_runtime(settings: Settings) -> Any:
    """The ``Runtime`` placed in ``KOUBEI_RUNTIME`` by ``crawl_settings``."""
    holder = settings.get("KOUBEI_RUNTIME")
    if not isinstance(holder, SharedRuntime):
        raise RuntimeError("KOUBEI_RUNTIME is not set: run crawls through crawlers.runner")
    return holder.runtime


def process_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """This module's settings and ``overrides``, nothing source-specific: for the
    ``CrawlerProcess`` that runs several crawlers, which merges its settings into each."""
    settings = Settings()
    settings.setmodule(sys.modules[__name__], priority="project")
    settings.update(overrides or {}, priority="cmdline")
    return settings


def crawl_settings(runtime: Any, source: Any, overrides: dict[str, Any] | None = None) -> Settings:
    """This module's settings plus the source's robots/User-Agent/concurrency choice, the
    runtime, and ``overrides`` (highest priority; tests use them to drop politeness delays on
    loopback). The source's choices are set at "spider" priority so that the process-wide
    settings (``process_settings``) merged into each crawler cannot undo them."""
    settings = process_settings()
    settings.set("ROBOTSTXT_OBEY", source.obey_robots, priority="spider")
    concurrency = getattr(source, "concurrency", None)
    if concurrency:
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", concurrency, priority="spider")
    if source.user_agent:
        settings.set("USER_AGENT", source.user_agent, priority="spider")
    maxsize = getattr(source, "max_response_bytes", None)
    if maxsize:
        settings.set("DOWNLOAD_MAXSIZE", maxsize, priority="spider")
    settings.set("KOUBEI_RUNTIME", SharedRuntime(runtime), priority="spider")
    settings.set("KOUBEI_SOURCE", source.name, priority="spider")
    settings.update(overrides or {}, priority="cmdline")
    return settings


# What a crawl builds from its settings: component lists (dotted path → order, None: off),
# the download handlers (scheme → dotted path) and single components.
_COMPONENT_LISTS = ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS",
                    "ITEM_PIPELINES")
_COMPONENTS = ("SCHEDULER", "SCHEDULER_PRIORITY_QUEUE", "SCHEDULER_MEMORY_QUEUE",
               "DUPEFILTER_CLASS", "STATS_CLASS", "LOG_FORMATTER", "ROBOTSTXT_PARSER",
               "DOWNLOADER", "REQUEST_FINGERPRINTER_CLASS", "ITEM_PROCESSOR",
               "DOWNLOADER_CLIENTCONTEXTFACTORY", "DOWNLOADER_HTTPCLIENTFACTORY")


def preload_components(settings: Settings | None = None) -> int:
    """Import the components a crawl with ``settings`` (default: ``process_settings()``)
    builds: its middlewares, extensions, pipelines, download handlers, scheduler, robots.txt
    parser... A crawl imports them as it starts, which on a busy machine takes a second or
    more, so a spare crawl child does it while it waits. Returns how many were loaded; one
    that does not load is skipped (the crawl reports it, if it uses it)."""
    settings = settings or process_settings()
    names = {path for name in _COMPONENT_LISTS
             for path, order in settings.getwithbase(name).items() if order is not None}
    names |= {path for path in settings.getwithbase("DOWNLOAD_HANDLERS").values() if path}
    names |= {settings[name] for name in _COMPONENTS if isinstance(settings.get(name), str)}
    loaded = 0
    for name in sorted(names):
        try:
            load_object(name)
        except Exception:  # an optional dependency missing: the crawl says so if it needs it
            continue
        loaded += 1
    return loaded
