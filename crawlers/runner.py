"""Running one crawl of one configured source, and recording its checkpoint.

``run_crawl`` runs the source's spider in this process with Scrapy's ``CrawlerProcess``. Twisted's
reactor cannot be restarted, so it can be called once per process; ``crawlers.child`` runs it
in a fresh child process (the scheduler and ``koubei crawl`` do, through ``web.jobs``).

Each source's class comes from ``crawlers.spiders.SOURCE_TYPES`` by its ``type`` (a built-in
name or a dotted path). A ``file`` source is "crawled" by importing its ``path`` (a file, or a
watched folder; see ``crawlers.importers.watched``).
"""
from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess

from crawlers.checkpoints import (
    WATERMARK_IDS_KEY,
    WATERMARK_KEY,
    load_checkpoint,
    record_failure,
    record_success,
)
from crawlers.child import PROJECT_ROOT
from crawlers.exceptions import UnknownSource
from crawlers.importers.watched import FileImport, import_source
from crawlers.report import CrawlReport, judge_crawl
from crawlers.settings import crawl_settings, process_settings
from crawlers.spiders import SOURCE_TYPES
from models.config import KoubeiConfig, SourceBase
from models.runtime import Runtime

__all__ = ["PROJECT_ROOT", "find_source", "run_crawl", "run_crawls"]

logger = logging.getLogger(__name__)


def find_source(config: KoubeiConfig, name: str) -> SourceBase:
    try:
        return config.source(name)
    except KeyError:
        known = ", ".join(s.name for s in config.sources) or "none"
        raise UnknownSource(f"no source named {name!r} in the config (sources: {known})") from None


def run_crawl(runtime: Runtime, source_name: str,
              overrides: dict[str, Any] | None = None) -> CrawlReport:
    """Crawl ``source_name`` once, store what is new, record the checkpoint, return the report.
    ``overrides`` are Scrapy settings applied last. Raises ``UnknownSource``."""
    return run_crawls(runtime, [source_name], overrides)[0]


def run_crawls(runtime: Runtime, source_names: list[str],
               overrides: dict[str, Any] | None = None) -> list[CrawlReport]:
    """Crawl each named source once, all at the same time in this process (one Scrapy crawler
    each, with its own politeness settings), and return their reports in the order named.
    ``file`` sources are imported first. Raises ``UnknownSource`` before anything runs."""
    sources = [find_source(runtime.config, name) for name in source_names]
    reports: dict[str, CrawlReport] = {}
    process: CrawlerProcess | None = None
    running = []
    for source in sources:
        spider_class = SOURCE_TYPES.resolve(source.type)
        if issubclass(spider_class, FileImport):  # imported, not crawled
            reports[source.name] = import_source(runtime, source)
            continue
        settings = crawl_settings(runtime, source, overrides)
        process = process or CrawlerProcess(process_settings(overrides))
        checkpoint = load_checkpoint(runtime.state, source.name)
        # Each crawler gets its source's settings; the first one installs the reactor.
        crawler = Crawler(spider_class, settings, init_reactor=not running)
        failures: list[str] = []
        done = process.crawl(crawler, source=source, watermark=checkpoint.watermark,
                             known_ids=checkpoint.recent_ids)
        done.addErrback(lambda failure, into=failures: into.append(
            f"{failure.type.__name__}: {failure.getErrorMessage()}"))
        logger.info("crawling %s (%s) with pipelines %s", source.name, source.type,
                    ", ".join(settings.getdict("ITEM_PIPELINES")))
        running.append((source, checkpoint, spider_class, crawler, failures))
    if process is not None:
        process.start()
    for source, checkpoint, spider_class, crawler, failures in running:
        reports[source.name] = _finish(runtime, source, checkpoint, spider_class.name,
                                       crawler, failures)
    return [reports[source.name] for source in sources]


def _finish(runtime: Runtime, source: SourceBase, checkpoint: Any, spider: str,
            crawler: Crawler, failures: list[str]) -> CrawlReport:
    stats = crawler.stats.get_stats() if crawler.stats else {}
    report = judge_crawl(source.name, stats, had_reviews=checkpoint.watermark is not None,
                         spider=spider)
    if failures:
        report.ok, report.error = False, f"the crawl could not run: {failures[0]}"
    if report.ok:
        record_success(runtime.state, source.name, report.counts(), stats.get(WATERMARK_KEY),
                       stats.get(WATERMARK_IDS_KEY, []))
    else:
        record_failure(runtime.state, source.name, report.error or "", report.counts())
    return report

