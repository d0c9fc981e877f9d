"""The scheduler: detection every ``detection_interval``, each enabled source's crawl at its
own ``interval`` (all starting at once) and each configured report at its weekday and local
time, in a persistent job store on the state database.

Jobs are module-level functions with plain string arguments (the config path and data
directory), so they pickle into the job store and survive restarts; each job runs at most one
instance at a time (an overrunning job is not started twice) and coalesces missed runs. On
start, crawl and report jobs left in the store but no longer configured are removed.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from models.review import utcnow
from models.runtime import Runtime, open_runtime

log = logging.getLogger(__name__)

DETECT_JOB = "detect"
CRAWL_JOB_PREFIX = "crawl:"
REPORT_JOB_PREFIX = "report:"
JOBS_TABLE = "apscheduler_jobs"


def detect_job(config_path: str, home: str) -> None:
    """One detection tick in a fresh runtime (so config edits are picked up)."""
    from alerting.detect.tick import run_detection

    runtime = open_runtime(config_path, home)
    try:
        report = run_detection(runtime)
    finally:
        runtime.close()
    log.info("detection: %d rule(s), %d firing(s), %d incident change(s), %d error(s)",
             len(report.rules), len(report.firings), len(report.changes), len(report.errors))


def crawl_job(config_path: str, home: str, source: str) -> None:
    """Crawl one source in a child process (Scrapy's reactor cannot restart in this one)."""
    from crawlers.runner import crawl_in_child

    report = crawl_in_child(config_path, home, source)
    if report.ok:
        log.info("crawl %s: %d new review(s)", source, report.new)
    else:
        log.error("crawl %s failed: %s", source, report.error)


def report_job(config_path: str, home: str, name: str) -> None:
    """Mail the report ``name`` of the config (``reports:``) for the last complete week."""
    from web.reports.mail import send_weekly_report

    runtime = open_runtime(config_path, home)
    try:
        report = next((r for r in runtime.config.reports if r.name == name), None)
        if report is None:
            log.warning("report %s: no longer in the config; not sent", name)
            return
        reached = send_weekly_report(runtime, report, utcnow())
    finally:
        runtime.close()
    log.info("report %s sent to %s", name, ", ".join(reached))


def _grace(interval: timedelta) -> int:
    # A run that is late by less than one interval still runs (coalesced into one).
    return max(int(interval.total_seconds()), 1)


def build_scheduler(runtime: Runtime, start_crawls: bool = True) -> BackgroundScheduler:
    """Return a configured, not yet started scheduler (see the module docstring)."""
    config = runtime.config
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=runtime.state.url, tablename=JOBS_TABLE)},
        timezone=ZoneInfo(config.timezone))
    args = [str(runtime.config_path), str(runtime.home)]
    now = utcnow()
    scheduler.add_job(detect_job, "interval", args=args, id=DETECT_JOB, name="detection",
                      coalesce=True, max_instances=1,
                      seconds=config.detection_interval.total_seconds(), next_run_time=now,
                      misfire_grace_time=_grace(config.detection_interval),
                      replace_existing=True)
    wanted = {DETECT_JOB}
    sources = [s for s in config.sources if s.enabled] if start_crawls else []
    for source in sources:
        job_id = CRAWL_JOB_PREFIX + source.name
        scheduler.add_job(crawl_job, "interval", args=args + [source.name], id=job_id,
                          name=f"crawl {source.name}", coalesce=True, max_instances=1,
                          seconds=source.interval.total_seconds(),
                          next_run_time=now, misfire_grace_time=_grace(source.interval),
                          replace_existing=True)
        wanted.add(job_id)
    for report in config.reports:
        job_id = REPORT_JOB_PREFIX + report.name
        hour, minute = (int(part) for part in report.at.split(":"))
        scheduler.add_job(report_job, "cron", args=args + [report.name], id=job_id,
                          name=f"report {report.name}", day_of_week=report.weekday, hour=hour,
                          minute=minute, coalesce=True, max_instances=1,
                          misfire_grace_time=6 * 3600,  # down at 09:00, up at 10:00: still send
                          replace_existing=True)
        wanted.add(job_id)
    log.info("scheduler: detection every %s; crawls: %s", config.detection_interval,
             ", ".join(f"{s.name} every {s.interval}" for s in sources) or "none")

    def prune_stale(_event: object) -> None:
        for job in scheduler.get_jobs():
            if job.id.startswith((CRAWL_JOB_PREFIX, REPORT_JOB_PREFIX)) and job.id not in wanted:
                log.info("scheduler: removing stale job %s", job.id)
                job.remove()

    scheduler.add_listener(prune_stale, EVENT_SCHEDULER_STARTED)
    return scheduler
