"""The scheduler: detection every ``detection_interval`` (and, with ``detect_after_crawl``,
within ``AFTER_CRAWL_POLL`` of a crawl that stored new reviews), each enabled source's crawl at
its own ``interval`` (all starting at once) and each configured report at its local time
(daily, or on its weekday), in a persistent job store on the state database.

It schedules the callables it is given (``Jobs``) and imports no other stage: the composition
root (``web.jobs``) says what a detection tick, a crawl and a report are. The callables must be
module-level functions taking plain string arguments (the config path, the data directory and
a source or report name), so they pickle into the job store and survive restarts; each job runs
at most one instance at a time (an overrunning job is not started twice) and coalesces missed
runs. On start, crawl and report jobs left in the store but no longer configured are removed,
and jobs stored under a function's former dotted path (``moved``) are rewritten to its current
one, so a job store written by an older version keeps working.

Several scheduler processes may run (on several machines): ``LeaderScheduler`` runs the
scheduler only in the process holding the scheduler lease (``models.lease``), and hands each
job the lease's fence (``fence=`` keyword) so that the job can claim its slot under it; when
the leader dies another process takes the lease over once it expires and starts its own.
"""
from __future__ import annotations

import logging
import pickle
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable, Mapping
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Column, LargeBinary, MetaData, Table, Unicode, inspect, select, update

from models.lease import LeaderLease
from models.review import utcnow
from models.runtime import Runtime

log = logging.getLogger(__name__)

DETECT_JOB = "detect"
AFTER_CRAWL_JOB = "detect:after-crawl"
AFTER_CRAWL_POLL = timedelta(seconds=2)  # how often the scheduler looks for fresh crawls
VOLATILE = "volatile"  # the in-memory job store
CRAWL_JOB_PREFIX = "crawl:"
REPORT_JOB_PREFIX = "report:"
JOBS_TABLE = "apscheduler_jobs"


@dataclass(frozen=True)
class Jobs:
    """What the scheduler runs: ``detect(config_path, home)``, ``crawl(config_path, home,
    source)`` and ``report(config_path, home, name)``, each a module-level function; detect
    and report also take ``fence=`` (a ``models.lease.Fence`` as text) when the scheduler
    was built with one. ``after_crawl(runtime)`` (also with ``fence=``), when given, is
    polled every ``AFTER_CRAWL_POLL`` while crawls are scheduled and ``detect_after_crawl``
    is on: it runs detection when crawls stored new reviews. It is held in memory, not in
    the job store (it takes the scheduler's own runtime, and is added again at each start)."""
    detect: Callable[[str, str], None]
    crawl: Callable[[str, str, str], None]
    report: Callable[[str, str, str], None]
    after_crawl: Callable[[Runtime], None] | None = None


class _QuietPolls(logging.Filter):
    """Drops APScheduler's "Running job" / "executed successfully" lines for the after-crawl
    poll, which would otherwise fill the log every few seconds."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = record.args[0] if isinstance(record.args, tuple) and record.args else None
        return not (record.levelno <= logging.INFO and getattr(job, "id", None) == AFTER_CRAWL_JOB)


logging.getLogger("apscheduler.executors.default").addFilter(_QuietPolls())


def _grace(interval: timedelta) -> int:
    # A run that is late by less than one interval still runs (coalesced into one).
    return max(int(interval.total_seconds()), 1)


def build_scheduler(runtime: Runtime, jobs: Jobs, start_crawls: bool = True,
                    moved: Mapping[str, str] | None = None,
                    fence: str | None = None) -> BackgroundScheduler:
    """Return a configured, not yet started scheduler (see the module docstring). ``moved``
    maps former function references (``module:function``) of stored jobs to current ones;
    ``fence`` is handed to the detect and report jobs."""
    config = runtime.config
    fenced = {"fence": fence} if fence else {}
    rewrite_moved_jobs(runtime.state.engine, moved or {})
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=runtime.state.url, tablename=JOBS_TABLE),
                   VOLATILE: MemoryJobStore()},
        timezone=ZoneInfo(config.timezone))
    args = [str(runtime.config_path), str(runtime.home)]
    now = utcnow()
    scheduler.add_job(jobs.detect, "interval", args=args, kwargs=fenced, id=DETECT_JOB,
                      name="detection",
                      coalesce=True, max_instances=1,
                      seconds=config.detection_interval.total_seconds(), next_run_time=now,
                      misfire_grace_time=_grace(config.detection_interval),
                      replace_existing=True)
    wanted = {DETECT_JOB}
    sources = [s for s in config.sources if s.enabled] if start_crawls else []
    for source in sources:
        job_id = CRAWL_JOB_PREFIX + source.name
        scheduler.add_job(jobs.crawl, "interval", args=args + [source.name], id=job_id,
                          name=f"crawl {source.name}", coalesce=True, max_instances=1,
                          seconds=source.interval.total_seconds(),
                          next_run_time=now, misfire_grace_time=_grace(source.interval),
                          replace_existing=True)
        wanted.add(job_id)
    after_crawl = bool(sources and jobs.after_crawl and config.detect_after_crawl)
    if after_crawl:
        scheduler.add_job(jobs.after_crawl, "interval", args=[runtime], kwargs=fenced,
                          id=AFTER_CRAWL_JOB, name="detection after crawls",
                          jobstore=VOLATILE, coalesce=True, max_instances=1,
                          seconds=AFTER_CRAWL_POLL.total_seconds(),
                          misfire_grace_time=_grace(AFTER_CRAWL_POLL))
    for report in config.reports:
        job_id = REPORT_JOB_PREFIX + report.name
        hour, minute = (int(part) for part in report.at.split(":"))
        scheduler.add_job(jobs.report, "cron", args=args + [report.name], kwargs=fenced,
                          id=job_id, name=f"report {report.name}", hour=hour,
                          day_of_week=report.weekday if report.type == "weekly" else "*",
                          minute=minute, coalesce=True, max_instances=1,
                          misfire_grace_time=6 * 3600,  # down at 09:00, up at 10:00: still send
                          replace_existing=True)
        wanted.add(job_id)
    log.info("scheduler: detection every %s%s; crawls: %s", config.detection_interval,
             " and after each crawl that stored new reviews" if after_crawl else "",
             ", ".join(f"{s.name} every {s.interval}" for s in sources) or "none")

    def prune_stale(_event: object) -> None:
        for job in scheduler.get_jobs():
            if job.id.startswith((CRAWL_JOB_PREFIX, REPORT_JOB_PREFIX)) and job.id not in wanted:
                log.info("scheduler: removing stale job %s", job.id)
                job.remove()

    scheduler.add_listener(prune_stale, EVENT_SCHEDULER_STARTED)
    return scheduler


class LeaderScheduler:
    """A scheduler that runs only while this process holds ``lease``: ``step`` (called every
    ``poll`` seconds by ``run``) takes or renews the lease, builds and starts a scheduler with
    ``build(fence)`` on taking it, and shuts that scheduler down at once on losing it."""

    def __init__(self, build: Callable[[str], BackgroundScheduler], lease: LeaderLease,
                 poll: float | None = None):
        self.build, self.lease = build, lease
        self.poll = poll if poll is not None else lease.ttl.total_seconds() / 3
        self.scheduler: BackgroundScheduler | None = None
        self.fence = None  # the fence the running scheduler's jobs carry

    @property
    def leading(self) -> bool:
        return self.scheduler is not None

    def step(self) -> bool:
        """One round of the election; returns whether this process leads now."""
        try:
            fence = self.lease.acquire()
        except Exception:  # the database is unreachable: not leading until it answers
            log.exception("scheduler lease: cannot reach the state database")
            fence = self.lease.fence = None
        if self.scheduler is not None and fence != self.fence:
            # lost, or lost and taken again under a new token: the jobs carry the old fence
            log.warning("scheduler: lease lost; standing by")
            self._stop_scheduler()
        if fence is not None and self.scheduler is None:
            log.info("scheduler: leading (lease token %d)", fence.token)
            self.scheduler, self.fence = self.build(str(fence)), fence
            self.scheduler.start()
        return self.scheduler is not None

    def run(self, stop: threading.Event) -> None:
        """Hold elections until ``stop`` is set, then stop and give the lease up."""
        try:
            while True:
                self.step()
                if stop.wait(self.poll):
                    break
        finally:
            self.close()

    def close(self) -> None:
        self._stop_scheduler()
        try:
            self.lease.release()
        except Exception:
            log.exception("scheduler lease: not released; it expires by itself")

    def _stop_scheduler(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = self.fence = None


def rewrite_moved_jobs(engine, moved: Mapping[str, str]) -> int:
    """Point stored jobs whose function moved (``moved``: old ref → new ref) at its new home;
    returns how many were rewritten. Job states are plain pickled dicts whose ``func`` is a
    ``module:function`` string, so reading them imports nothing."""
    if not moved or not inspect(engine).has_table(JOBS_TABLE):
        return 0
    table = Table(JOBS_TABLE, MetaData(), Column("id", Unicode(191), primary_key=True),
                  Column("job_state", LargeBinary))
    rewritten = 0
    with engine.begin() as connection:
        for job_id, blob in connection.execute(select(table.c.id, table.c.job_state)).all():
            state = pickle.loads(blob)
            old = state.get("func")
            new = moved.get(old)
            if new is None:
                continue
            state["func"] = new
            connection.execute(update(table).where(table.c.id == job_id)
                               .values(job_state=pickle.dumps(state, pickle.HIGHEST_PROTOCOL)))
            log.info("scheduler: job %s now runs %s (stored as %s)", job_id, new, old)
            rewritten += 1
    return rewritten
