"""The jobs the scheduler runs, and the scheduler built with them: what a detection tick, a
crawl and a report mean is decided here, in the composition root, so that
``alerting.scheduler`` imports no other stage.

Each job is a module-level function of plain strings (pickled into the persistent job store)
that opens a fresh runtime, so config edits are picked up on the next run.

Coordination across processes, all through the state database: a detection tick claims its
interval (``models.lease.claim_run``), a detection after crawls the newest crawl it follows,
and a report its week, under the scheduler lease's fence, so none runs twice; within the
leading process one detection runs at a time (``DETECTING``); a crawl job only queues the
source's crawl
(``models.crawl_queue``), and crawl workers (``work_crawls``, in ``koubei run --role worker``
or ``all``) claim and run queued crawls, one per source at a time across the fleet.
"""
from __future__ import annotations

import logging
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler

from alerting.detect.tick import DetectionReport, run_detection
from alerting.scheduler import Jobs, build_scheduler
from crawlers import child
from crawlers.batches import site_of
from crawlers.report import CrawlReport
from models import crawl_queue
from models.lease import PROCESS, Fence, claim_run, finish_run, interval_slot, last_started
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


# The job names detection runs are claimed under (``models.lease.claim_run``).
TICK_RUN, AFTER_CRAWL_RUN = "detect", "detect:after-crawl"
# One detection at a time in this process: a tick and a detection after crawls never overlap
# (across processes, only the scheduler lease's holder runs either, fenced).
DETECTING = threading.Lock()

# Set when this process queues a crawl, so that its own crawl workers (``koubei run``'s
# default role runs the scheduler and the workers together) claim it at once rather than at
# their next poll; workers of other processes find it at theirs.
CRAWL_QUEUED = threading.Event()

# A crawl whose worker has not said it is alive for this long is given up (the worker died).
CRAWL_SILENT_AFTER = timedelta(minutes=2)
HEARTBEAT_EVERY = 20.0  # seconds between a worker's heartbeats while it crawls


def _fence(text: str | None) -> Fence | None:
    return Fence.parse(text) if text else None


def detect_job(config_path: str, home: str, fence: str | None = None) -> None:
    """One detection tick (with escalation follow-up) in a fresh runtime, once per detection
    interval whichever process tries (see the module docstring); it waits for a detection
    after crawls running in this process to end."""
    with DETECTING:
        runtime = open_runtime(config_path, home)
        try:
            now = utcnow()
            slot = interval_slot(now, runtime.config.detection_interval)
            report = _claimed_detection(runtime, TICK_RUN, slot, fence, now)
        finally:
            runtime.close()
    if report is not None:
        _log_detection("detection", report)


def detect_after_crawl_job(runtime: Runtime, fence: str | None = None) -> None:
    """Run detection at once when crawls stored new reviews after the latest detection run
    (tick or this) began; polled by the leading scheduler with its own ``runtime``, so the
    poll itself opens nothing. The run is a whole tick in a fresh runtime (rules,
    incidents, auto-resolve, escalation), claimed under the scheduler lease's fence with the
    newest of those crawls as its slot: a crawl triggers one run, whichever process tries.
    Nothing happens while a detection runs in this process (the next poll looks again)."""
    if not DETECTING.acquire(blocking=False):
        return
    try:
        since = last_started(runtime.state, (TICK_RUN, AFTER_CRAWL_RUN))
        fresh = crawl_queue.stored_new_since(runtime.state, since) if since else []
        if not fresh:
            return
        fresh_runtime = open_runtime(runtime.config_path, runtime.home)
        try:
            report = _claimed_detection(fresh_runtime, AFTER_CRAWL_RUN, f"crawl-{fresh[-1]}",
                                        fence)
        finally:
            fresh_runtime.close()
    finally:
        DETECTING.release()
    if report is not None:
        _log_detection(f"detection after {len(fresh)} crawl(s) with new reviews", report)


def _claimed_detection(runtime: Runtime, run: str, slot: str, fence: str | None,
                       now: datetime | None = None) -> DetectionReport | None:
    """A detection run claimed as ``run``/``slot`` under ``fence`` (``claim_run``); None when
    another process (or an earlier try) has it."""
    if not claim_run(runtime.state, run, slot, _fence(fence), now):
        return None
    report = run_detection(runtime)
    finish_run(runtime.state, run, slot)
    return report


def _log_detection(what: str, report: DetectionReport) -> None:
    log.info("%s: %d rule(s), %d firing(s), %d incident change(s), %d error(s)", what,
             len(report.rules), len(report.firings), len(report.changes), len(report.errors))


def crawl_job(config_path: str, home: str, source: str) -> None:
    """Queue a crawl of one source for the crawl workers (nothing when one is queued or
    running already), after giving up the crawls of workers that died."""
    runtime = open_runtime(config_path, home)
    try:
        abandoned = crawl_queue.abandon_stale(runtime.state, CRAWL_SILENT_AFTER)
        if abandoned:
            log.warning("crawl queue: %d crawl(s) of silent workers given up", abandoned)
        try:
            site = site_of(runtime.config.source(source))
        except KeyError:
            log.warning("crawl %s: no longer in the config; not queued", source)
            return
        queued = crawl_queue.enqueue(runtime.state, source, site=site)
    finally:
        runtime.close()
    if queued:
        CRAWL_QUEUED.set()
    log.info("crawl %s: %s", source, f"queued (job {queued})" if queued
             else "still queued or running; not queued again")


def run_one_crawl(runtime: Runtime, worker: str = PROCESS, timeout: float = 600,
                  spare: child.SpareChild | None = None) -> CrawlReport | None:
    """Claim the oldest queued crawl for ``worker`` and run it in a child process (the one
    ``spare`` holds ready, if given), beating the heartbeat meanwhile; returns its report,
    or None when none was waiting."""
    claimed = crawl_queue.claim(runtime.state, worker)
    if claimed is None:
        return None
    done = threading.Event()

    def beat() -> None:
        while not done.wait(HEARTBEAT_EVERY):
            crawl_queue.heartbeat(runtime.state, claimed.id, worker)
    beater = threading.Thread(target=beat, name=f"heartbeat-{claimed.id}", daemon=True)
    beater.start()
    try:
        report = crawl_in_child(runtime.config_path, runtime.home, claimed.source, timeout,
                                spare=spare)
    except Exception as exc:  # the child could not even start: the job fails, the worker lives
        log.exception("crawl %s: the crawl child failed", claimed.source)
        report = CrawlReport(claimed.source, ok=False, error=f"{type(exc).__name__}: {exc}")
    finally:
        done.set()
        beater.join()
    crawl_queue.finish(runtime.state, claimed.id, worker, report.ok, report.to_dict())
    if report.ok:
        log.info("crawl %s (job %d): %s", claimed.source, claimed.id, report.summary())
    else:
        log.error("crawl %s (job %d) failed: %s", claimed.source, claimed.id, report.error)
    return report


def work_crawls(runtime: Runtime, stop: threading.Event, worker: str = PROCESS,
                poll: float = 2.0, spare: child.SpareChild | None = None) -> None:
    """Run queued crawls one after another until ``stop`` is set, polling every ``poll``
    seconds while the queue is empty (at once when this process queues one:
    ``CRAWL_QUEUED``); each crawl after the first runs in a child started ahead of need
    (``spare``, shared by the process's workers, else one of its own: see
    ``crawlers.child.SpareChild``), so it skips the child's start-up."""
    log.info("crawl worker %s: waiting for crawls", worker)
    owned = spare is None
    spare = spare or spare_crawl_child(runtime.config_path, runtime.home)
    try:
        while not stop.is_set():
            try:
                ran = run_one_crawl(runtime, worker, spare=spare) is not None
            except Exception:  # the state database is away: try again after a pause
                log.exception("crawl worker %s: cannot reach the crawl queue", worker)
                ran = False
            if not ran:
                CRAWL_QUEUED.wait(poll)  # a crawl queued by this process wakes it at once
                CRAWL_QUEUED.clear()
    finally:
        if owned:
            spare.close()


def report_job(config_path: str, home: str, name: str, fence: str | None = None) -> None:
    """Mail the report ``name`` of the config (``reports:``): the last complete day or week,
    once per day or week whichever process tries."""
    runtime = open_runtime(config_path, home)
    try:
        report = next((r for r in runtime.config.reports if r.name == name), None)
        if report is None:
            log.warning("report %s: no longer in the config; not sent", name)
            return
        now = utcnow()
        local = now.astimezone(ZoneInfo(runtime.config.timezone)).date()
        year, week, _ = local.isocalendar()
        slot = f"{year}-W{week:02d}" if report.type == "weekly" else local.isoformat()
        if not claim_run(runtime.state, f"report:{name}", slot, _fence(fence), now):
            return
        reached = send_report(runtime, report, now)
    finally:
        runtime.close()
    log.info("report %s sent to %s", name, ", ".join(reached))


JOBS = Jobs(detect=detect_job, crawl=crawl_job, report=report_job,
            after_crawl=detect_after_crawl_job)


def scheduler_for(runtime: Runtime, start_crawls: bool = True,
                  fence: str | None = None) -> BackgroundScheduler:
    """The system's scheduler on ``runtime`` (configured, not started); ``fence``: the
    scheduler lease's, handed to the jobs that claim their runs."""
    return build_scheduler(runtime, JOBS, start_crawls=start_crawls, moved=MOVED_FUNCTIONS,
                           fence=fence)


def crawls_in_child(config_path: str | Path, home: str | Path, source_names: list[str],
                    timeout: float = 600, overrides: dict[str, Any] | None = None,
                    spare: child.SpareChild | None = None) -> list[CrawlReport]:
    """Crawl several sources in one child process wired by this root (``crawlers.child``),
    the one ``spare`` holds ready if given."""
    return child.crawls_in_child(config_path, home, source_names, timeout, overrides,
                                 command=[sys.executable, *CRAWL_CHILD],
                                 open_runtime=open_runtime, spare=spare)


def crawl_in_child(config_path: str | Path, home: str | Path, source_name: str,
                   timeout: float = 600, overrides: dict[str, Any] | None = None,
                   spare: child.SpareChild | None = None) -> CrawlReport:
    """One source's crawl in a child process; see ``crawls_in_child``."""
    return crawls_in_child(config_path, home, [source_name], timeout, overrides, spare)[0]


def spare_crawl_child(config_path: str | Path | None = None,
                      home: str | Path | None = None, size: int = 1) -> child.SpareChild:
    """A ``SpareChild`` of this root's crawl child keeping ``size`` children waiting (none
    started until its first crawl), preparing for crawls of ``config_path`` and ``home``
    when given (see ``crawls_in_child`` for the arguments it is then handed)."""
    warm = ["--config", str(config_path), "--home", str(home)] if config_path and home else []
    return child.SpareChild([sys.executable, *CRAWL_CHILD], warm, size)
