"""Sending one notice to a rule's channels, one after the other, whatever each one does."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable, Mapping

from alerting.respond.channels import Channel
from alerting.respond.notice import Notice
from models.redact import redact_text

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


def deliver(notice: Notice, names: Iterable[str],
            channels: Mapping[str, Channel]) -> list[Delivery]:
    """Send ``notice`` to each channel named; never raises. A name missing from ``channels``
    is a failed delivery like any other. Errors are recorded with URLs redacted
    (``models.redact``): webhook paths and queries hold channel keys."""
    results = []
    for name in names:
        channel = channels.get(name)
        if channel is None:
            results.append(Delivery(name, 0, f"channel {name!r} is not configured"))
            continue
        try:
            attempts = channel.send(notice)
        except Exception as exc:  # a broken channel must never stop the others
            error = redact_text(str(exc))  # recorded on the incident: analysts read it
            log.error("incident #%d: notifying %s failed: %s", notice.incident_id, name, error)
            results.append(Delivery(name, channel.tries, error))
        else:
            log.info("incident #%d: notified %s (%s)", notice.incident_id, name, notice.kind)
            results.append(Delivery(name, attempts))
    return results
