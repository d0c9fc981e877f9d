"""Leadership and once-only runs in the state database, the same on SQLite and PostgreSQL.

- ``LeaderLease``: a named lease row held by one process at a time. ``acquire`` takes it when
  it is free or expired (one conditional UPDATE: of two processes trying at once exactly one
  succeeds), ``renew`` extends it while still held, ``release`` frees it at once on a clean
  stop. A holder that dies stops renewing, and another process takes the lease once ``ttl``
  has passed, so failover takes at most ``ttl`` plus the standby's polling interval. Every
  change of holder raises the lease's ``token``: the ``Fence`` (name, holder, token) proves a
  run was started by the holder of the moment.
- ``claim_run``: record that job ``job`` runs for ``slot`` (a detection interval, a report
  week); the unique (job, slot) makes a second claim of the same slot fail, whoever makes it,
  and a fenced claim fails unless its fence still holds the lease.

Leases compare times of the processes' own clocks (UTC): keep the machines' clocks in sync
(NTP); a skew shortens or lengthens the failover time by as much.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from models.review import utcnow
from models.state import JobRun, Lease, StateDB

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
SCHEDULER_LEASE = "scheduler"
# This process, as leases, job runs, deliveries and crawl claims name it.
PROCESS = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Fence:
    """Who held lease ``name`` (``holder``, with ``token``) when a run was started."""
    name: str
    holder: str
    token: int

    def __str__(self) -> str:
        return f"{self.name}|{self.holder}|{self.token}"

    @classmethod
    def parse(cls, text: str) -> "Fence":
        name, holder, token = text.rsplit("|", 2)
        return cls(name, holder, int(token))


class LeaderLease:
    def __init__(self, state: StateDB, name: str = SCHEDULER_LEASE, holder: str = PROCESS,
                 ttl: timedelta = timedelta(seconds=30),
                 clock: Callable[[], datetime] = utcnow):
        self.state, self.name, self.holder, self.ttl, self.clock = state, name, holder, ttl, clock
        self.fence: Fence | None = None

    def acquire(self) -> Fence | None:
        """Take the lease when it is free or expired, or renew it when held; returns the
        fence while held, else None."""
        if self.fence is not None and self.renew():
            return self.fence
        self._ensure_row()
        now = self.clock()
        with self.state.session() as session:
            taken = session.execute(
                update(Lease).where(Lease.name == self.name, Lease.expires_at <= now)
                .values(holder=self.holder, token=Lease.token + 1, expires_at=now + self.ttl,
                        acquired_at=now)).rowcount
            token = session.scalar(select(Lease.token).where(Lease.name == self.name))
        self.fence = Fence(self.name, self.holder, token) if taken == 1 else None
        if self.fence is not None:
            log.info("lease %s: taken by %s (token %d)", self.name, self.holder, token)
        return self.fence

    def renew(self) -> bool:
        """Extend the lease held; False (and no fence any more) when it was lost."""
        if self.fence is None:
            return False
        now = self.clock()
        with self.state.session() as session:
            renewed = session.execute(
                update(Lease).where(Lease.name == self.name, Lease.holder == self.holder,
                                    Lease.token == self.fence.token, Lease.expires_at > now)
                .values(expires_at=now + self.ttl)).rowcount
        if renewed != 1:
            log.warning("lease %s: lost by %s", self.name, self.holder)
            self.fence = None
        return renewed == 1

    def release(self) -> None:
        """Give the lease up at once (a clean stop), so a standby need not wait for ``ttl``."""
        if self.fence is None:
            return
        with self.state.session() as session:
            session.execute(update(Lease).where(Lease.name == self.name,
                                                Lease.holder == self.holder,
                                                Lease.token == self.fence.token)
                            .values(expires_at=EPOCH))
        self.fence = None

    def _ensure_row(self) -> None:
        with self.state.session() as session:
            if session.get(Lease, self.name) is not None:
                return
        try:
            with self.state.session() as session:
                session.add(Lease(name=self.name, holder="", token=0, expires_at=EPOCH))
        except IntegrityError:
            pass  # another process created it meanwhile


def holds(session, fence: Fence, now: datetime) -> bool:
    """Whether ``fence`` still holds its lease (locking the lease row on PostgreSQL until the
    session ends, so that no takeover slips in before the session's writes commit)."""
    lease = session.scalars(select(Lease).where(Lease.name == fence.name)
                            .with_for_update()).first()
    return (lease is not None and lease.holder == fence.holder and lease.token == fence.token
            and lease.expires_at > now)


def claim_run(state: StateDB, job: str, slot: str, fence: Fence | None = None,
              now: datetime | None = None) -> bool:
    """Record the run of ``job`` for ``slot``; False when that slot was claimed before or
    ``fence`` no longer holds its lease (then the run must not happen)."""
    now = now or utcnow()
    try:
        with state.session() as session:
            if fence is not None and not holds(session, fence, now):
                log.warning("%s %s: not run, %s no longer leads", job, slot, fence.holder)
                return False
            session.add(JobRun(job=job, slot=slot, started_at=now,
                               holder=fence.holder if fence else PROCESS,
                               token=fence.token if fence else 0))
    except IntegrityError:
        log.info("%s %s: already run", job, slot)
        return False
    return True


def finish_run(state: StateDB, job: str, slot: str, now: datetime | None = None) -> None:
    with state.session() as session:
        session.execute(update(JobRun).where(JobRun.job == job, JobRun.slot == slot)
                        .values(finished_at=now or utcnow()))


def last_started(state: StateDB, jobs: tuple[str, ...]) -> datetime | None:
    """When the latest run of any of ``jobs`` was claimed (None: never)."""
    with state.session() as session:
        return session.scalar(select(func.max(JobRun.started_at)).where(JobRun.job.in_(jobs)))


def interval_slot(at: datetime, every: timedelta) -> str:
    """The number of the ``every``-long interval (counted from the Unix epoch) ``at`` is in."""
    return str(int((at - EPOCH) // every))
