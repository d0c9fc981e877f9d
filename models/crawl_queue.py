"""The crawl queue in the state database: the scheduler enqueues a source's crawl, any worker
claims it, runs it and marks it done, on SQLite and PostgreSQL alike.

- At most one unfinished (queued or running) crawl per source across the fleet: the unique
  ``active_source`` holds the source's name until the job finishes, so ``enqueue`` of a
  source already waiting or running does nothing, and two workers can never crawl it at once.
- At most one running crawl per site (host) across the fleet, so a site sees one crawl's
  requests at a time however many workers there are: ``claim`` passes over queued jobs of a
  site with a running crawl, and the unique ``active_site`` (the site while the crawl runs)
  refuses the second of two workers claiming two jobs of one site at the same moment.
- ``claim`` takes the oldest eligible queued job in one statement; on PostgreSQL its subquery
  locks the row ``FOR UPDATE SKIP LOCKED``, so workers claiming together take different jobs
  without waiting on each other; SQLite runs one writing statement at a time.
- A worker beats (``heartbeat``) while it crawls; ``abandon_stale`` frees jobs whose worker
  stopped beating (it died), so the source is crawled again at its next interval.
- ``stored_new_since`` names the crawls that stored new reviews after a time: the scheduler
  runs detection at once after them (``web.jobs.detect_after_crawl_job``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, select, update
from sqlalchemy.exc import IntegrityError

from models.review import utcnow
from models.state import CrawlJob, StateDB

UNFINISHED = ("queued", "running")


@dataclass(frozen=True)
class ClaimedCrawl:
    id: int
    source: str


def enqueue(state: StateDB, source: str, now: datetime | None = None,
            site: str = "") -> int | None:
    """Queue a crawl of ``source``, which talks to ``site`` ("" for none: a file source);
    returns its job id, or None when one is already queued or running."""
    try:
        with state.session() as session:
            job = CrawlJob(source=source, site=site, active_source=source, status="queued",
                           enqueued_at=now or utcnow())
            session.add(job)
            session.flush()
            return job.id
    except IntegrityError:
        return None


def claim(state: StateDB, worker: str, now: datetime | None = None) -> ClaimedCrawl | None:
    """Take the oldest queued crawl whose site has no running crawl for ``worker``; None when
    none is waiting (or another worker took that site's at the same moment)."""
    now = now or utcnow()
    busy = select(CrawlJob.active_site).where(CrawlJob.active_site.is_not(None))
    oldest = (select(CrawlJob.id)
              .where(CrawlJob.status == "queued",
                     or_(CrawlJob.site == "", CrawlJob.site.not_in(busy)))
              .order_by(CrawlJob.id).limit(1).with_for_update(skip_locked=True)
              .scalar_subquery())
    try:
        with state.session() as session:
            row = session.execute(
                update(CrawlJob).where(CrawlJob.id == oldest, CrawlJob.status == "queued")
                .values(status="running", claimed_by=worker, claimed_at=now,
                        heartbeat_at=now,
                        active_site=case((CrawlJob.site == "", None), else_=CrawlJob.site))
                .returning(CrawlJob.id, CrawlJob.source)).first()
    except IntegrityError:  # the site's other job was claimed meanwhile: wait for it
        return None
    return ClaimedCrawl(row.id, row.source) if row else None


def heartbeat(state: StateDB, job_id: int, worker: str, now: datetime | None = None) -> bool:
    """Say ``worker`` still runs the job; False when it was taken from it (abandoned)."""
    with state.session() as session:
        return session.execute(
            update(CrawlJob).where(CrawlJob.id == job_id, CrawlJob.claimed_by == worker,
                                   CrawlJob.status == "running")
            .values(heartbeat_at=now or utcnow())).rowcount == 1


def finish(state: StateDB, job_id: int, worker: str, ok: bool, result: dict,
           now: datetime | None = None) -> bool:
    """Mark the job ``done`` (or ``failed``) with ``result``; frees its source."""
    with state.session() as session:
        return session.execute(
            update(CrawlJob).where(CrawlJob.id == job_id, CrawlJob.claimed_by == worker,
                                   CrawlJob.status == "running")
            .values(status="done" if ok else "failed", active_source=None, active_site=None,
                    result=result, finished_at=now or utcnow())).rowcount == 1


def abandon_stale(state: StateDB, silent_for: timedelta, now: datetime | None = None) -> int:
    """Free running jobs whose worker has not beaten for ``silent_for``; returns how many."""
    now = now or utcnow()
    with state.session() as session:
        return session.execute(
            update(CrawlJob).where(CrawlJob.status == "running",
                                   CrawlJob.heartbeat_at < now - silent_for)
            .values(status="abandoned", active_source=None, active_site=None,
                    finished_at=now)).rowcount


def stored_new_since(state: StateDB, since: datetime) -> list[int]:
    """The ids of crawls that finished after ``since`` and stored new reviews, oldest first."""
    with state.session() as session:
        rows = session.execute(select(CrawlJob.id, CrawlJob.result)
                               .where(CrawlJob.finished_at > since, CrawlJob.status == "done")
                               .order_by(CrawlJob.id)).all()
    return [row.id for row in rows if _new_reviews(row.result) > 0]


def _new_reviews(result: object) -> int:
    value = result.get("new", 0) if isinstance(result, dict) else 0
    return value if isinstance(value, int) else 0


def unfinished(state: StateDB) -> list[CrawlJob]:
    with state.session() as session:
        return list(session.scalars(select(CrawlJob).where(CrawlJob.status.in_(UNFINISHED))
                                    .order_by(CrawlJob.id)))
