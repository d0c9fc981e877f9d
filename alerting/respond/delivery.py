"""Sending one notice to a rule's channels, one after the other, whatever each one does.

With a ledger (the state database) every (notice, channel) is sent under an idempotency key:
the key is claimed in ``notice_deliveries`` before the channel is called, so when two
processes handle the same incident (a scheduler that lost its lease mid-tick and the one that
took over) only one of them sends; the other skips it. A key whose attempt failed may be
claimed again (a retry); a key claimed by a process that died while sending is not sent
again: at most once, never twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable, Mapping

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from alerting.respond.channels import Channel
from alerting.respond.notice import Notice
from models.lease import PROCESS
from models.redact import redact_text
from models.review import utcnow
from models.state import NoticeDelivery, StateDB

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """The outcome of notifying one channel: ``error`` is None when it was delivered."""
    channel: str
    attempts: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def event(self, kind: str) -> tuple[str, dict]:
        """The incident event recording this outcome: ``notified`` or ``notify_failed``."""
        if self.ok:
            return "notified", {"channel": self.channel, "attempts": self.attempts,
                                "kind": kind}
        return "notify_failed", {"channel": self.channel, "error": self.error, "kind": kind}


def delivery_key(notice: Notice, occasion: str, channel: str) -> str:
    """The idempotency key of sending ``notice`` to ``channel``: incident, kind, occasion
    (what makes a repeat of the kind a new notice: the previous notice's time for a realert,
    the resolution time for an all-clear; empty for a once-only kind) and channel."""
    return f"incident:{notice.incident_id}:{notice.kind}:{occasion}:{channel}"


def deliver(notice: Notice, names: Iterable[str], channels: Mapping[str, Channel],
            ledger: StateDB | None = None, occasion: str = "") -> list[Delivery]:
    """Send ``notice`` to each channel named; never raises. A name missing from ``channels``
    is a failed delivery like any other. Errors are recorded with URLs redacted
    (``models.redact``): webhook paths and queries hold channel keys. With ``ledger``, a
    channel whose key (see ``delivery_key``) another attempt already claimed is skipped: it is
    left out of the result, since that attempt records its own outcome."""
    results = []
    for name in names:
        key = delivery_key(notice, occasion, name)
        if ledger is not None and not claim(ledger, key, notice, name):
            log.info("incident #%d: %s to %s already sent or being sent; skipped",
                     notice.incident_id, notice.kind, name)
            continue
        result = _send(notice, name, channels.get(name))
        if ledger is not None:
            record(ledger, key, result)
        results.append(result)
    return results


def _send(notice: Notice, name: str, channel: Channel | None) -> Delivery:
    if channel is None:
        return Delivery(name, 0, f"channel {name!r} is not configured")
    try:
        attempts = channel.send(notice)
    except Exception as exc:  # a broken channel must never stop the others
        error = redact_text(str(exc))  # recorded on the incident: analysts read it
        log.error("incident #%d: notifying %s failed: %s", notice.incident_id, name, error)
        return Delivery(name, channel.tries, error)
    log.info("incident #%d: notified %s (%s)", notice.incident_id, name, notice.kind)
    return Delivery(name, attempts)


def claim(ledger: StateDB, key: str, notice: Notice, channel: str) -> bool:
    """Claim ``key`` for this process: True when it was never claimed, or its last attempt
    failed; False when it was sent or is being sent."""
    try:
        with ledger.session() as session:
            session.add(NoticeDelivery(key=key, incident_id=notice.incident_id,
                                       channel=channel, kind=notice.kind, status="sending",
                                       holder=PROCESS, claimed_at=utcnow()))
        return True
    except IntegrityError:
        pass
    with ledger.session() as session:  # a retry of a failed attempt: one process wins it
        return session.execute(
            update(NoticeDelivery).where(NoticeDelivery.key == key,
                                         NoticeDelivery.status == "failed")
            .values(status="sending", holder=PROCESS, claimed_at=utcnow())).rowcount == 1


def record(ledger: StateDB, key: str, delivery: Delivery) -> None:
    with ledger.session() as session:
        session.execute(update(NoticeDelivery).where(NoticeDelivery.key == key).values(
            status="sent" if delivery.ok else "failed", attempts=delivery.attempts,
            error=delivery.error, finished_at=utcnow()))
