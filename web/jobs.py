"""The jobs the scheduler runs, and the scheduler built with them: what a detection tick, a
crawl and a report mean is decided here, in the composition root, so that
``alerting.scheduler`` imports no other stage.

Each job is a module-level function of plain strings (pickled into the persistent job store)
that opens a fresh runtime, so config edits are picked up on the next run.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from alerting.detect.tick import run_detection
from alerting.scheduler import Jobs, build_scheduler
from crawlers import child
from crawlers.report import CrawlReport
from models.review import utcnow
from models.runtime import Runtime
from web.reports.mail import send_report
from web.runtime import open_runtime

log = logging.getLogger(__name__)

# The crawl child process runs ``python -m web.crawl_child``, so it is wired like this one.
CRAWL_CHILD = ("-m", "web.crawl_child")
# Where the job functions lived before: stored jobs naming these are rewritten at start.
MOVED_FUNCTIONS = {
    "alerting.scheduler:detect_job": "web.jobs:detect_job",
    "alerting.scheduler:crawl_job": "web.jobs:crawl_job",
    "alerting.scheduler:report_job": "web.jobs:report_job",
}


def detect_job(config_path: str, home: str) -> None:
    """One detection tick (with escalation follow-up) in a fresh runtime."""
    runtime = open_runtime(config_path, home)
    try:
        report = run_detection(runtime)
    finally:
        runtime.close()
    log.info("detection: %d rule(s), %d firing(s), %d incident change(s), %d error(s)",
             len(report.rules), len(report.firings), len(report.changes), len(report.errors))


def crawl_job(config_path: str, home: str, source: str) -> None:
    """Crawl one source in a child process (Scrapy's reactor cannot restart in this one)."""
    report = crawl_in_child(config_path, home, source)
    if report.ok:
        log.info("crawl %s: %d new review(s)", source, report.new)
    else:
        log.error("crawl %s failed: %s", source, report.error)


def report_job(config_path: str, home: str, name: str) -> None:
    """Mail the report ``name`` of the config (``reports:``): the last complete day or week."""
    runtime = open_runtime(config_path, home)
    try:
        report = next((r for r in runtime.config.reports if r.name == name), None)
        if report is None:
            log.warning("report %s: no longer in the config; not sent", name)
            return
        reached = send_report(runtime, report, utcnow())
    finally:
        runtime.close()
    log.info("report %s sent to %s", name, ", ".join(reached))


JOBS = Jobs(detect=detect_job, crawl=crawl_job, report=report_job)


def scheduler_for(runtime: Runtime, start_crawls: bool = True) -> BackgroundScheduler:
    """The system's scheduler on ``runtime`` (configured, not started)."""
    return build_scheduler(runtime, JOBS, start_crawls=start_crawls, moved=MOVED_FUNCTIONS)


def crawls_in_child(config_path: str | Path, home: str | Path, source_names: list[str],
                    timeout: float = 600,
                    overrides: dict[str, Any] | None = None) -> list[CrawlReport]:
    """Crawl several sources in one child process wired by this root (``crawlers.child``)."""
    return child.crawls_in_child(config_path, home, source_names, timeout, overrides,
                                 command=[sys.executable, *CRAWL_CHILD],
                                 open_runtime=open_runtime)


def crawl_in_child(config_path: str | Path, home: str | Path, source_name: str,
                   timeout: float = 600, overrides: dict[str, Any] | None = None) -> CrawlReport:
    """One source's crawl in a child process; see ``crawls_in_child``."""
    return crawls_in_child(config_path, home, [source_name], timeout, overrides)[0]
