"""The handler's workflow on one incident, each step an ``IncidentEvent`` on its timeline.

    open ──acknowledge──► acknowledged ──resolve / false_alarm──► resolved ──reopen──► open
      └──────────────────resolve / false_alarm───────────────────┘

``assign`` and ``comment`` are allowed in any status and do not change it; acknowledging an
incident nobody is assigned to assigns it to the person who acknowledged it. Resolving (by a
person, as a false alarm, or automatically) sends an all-clear to every channel that was told
about the incident (``send_all_clear``); a false alarm is a resolution whose event kind is
``false_alarm``, which the response figures count per rule.

Every transition raises ``WorkflowError`` (naming the incident) when it does not apply, and
never touches the incident otherwise.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable, Mapping

from sqlalchemy import select

from alerting.exceptions import AlertingError
from alerting.respond.channel_health import check_channels
from alerting.respond.channels import Channel
from alerting.respond.delivery import deliver
from alerting.respond.notice import Notice
from models.review import utcnow
from models.state import Incident, IncidentEvent, StateDB, User

RESOLUTIONS = ("resolved", "false_alarm")


# The longest comment or note a person may write: a handler's account of what was done fits
# easily; a pasted log or an accidental paste of a whole page is refused rather than stored
# and shown on every timeline and notice.
MAX_NOTE = 4000  # characters


def checked_note(text: str, what: str, error: type[AlertingError]) -> str:
    """``text`` stripped, or ``error`` naming ``what`` when it is longer than ``MAX_NOTE``."""
    text = text.strip()
    if len(text) > MAX_NOTE:
        raise error(f"{what}: a note is at most {MAX_NOTE} characters, got {len(text)}")
    return text


class WorkflowError(AlertingError):
    pass


def _load(session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise WorkflowError(f"incident #{incident_id} does not exist")
    return incident


def _record(state: StateDB, incident_id: int, kind: str, actor: str, detail: dict,
            at: datetime | None, allowed: tuple[str, ...] | None = None,
            status: str | None = None) -> Incident:
    at = at or utcnow()
    with state.session() as session:
        incident = _load(session, incident_id)
        if allowed is not None and incident.status not in allowed:
            raise WorkflowError(f"incident #{incident_id} is {incident.status}; "
                                f"cannot {kind.replace('_', ' ')} it")
        if status is not None:
            incident.status = status
        if kind == "acknowledged":
            incident.acknowledged_at = at
        elif kind in RESOLUTIONS:
            incident.resolved_at = at
            if incident.acknowledged_at is None:
                incident.acknowledged_at = at  # resolving it is the first response too
        elif kind == "reopened":
            incident.resolved_at = None
        session.add(IncidentEvent(incident=incident, at=at, kind=kind, actor=actor,
                                  detail=detail))
    return incident


def acknowledge(state: StateDB, incident_id: int, actor: str,
                at: datetime | None = None) -> Incident:
    """Acknowledge; when nobody is assigned yet and ``actor`` is an active user, the incident
    is also assigned to them (an ``assigned`` event with ``"by": "acknowledged"``): whoever
    picks it up handles it until someone hands it over."""
    at = at or utcnow()
    incident = _record(state, incident_id, "acknowledged", actor, {}, at, ("open",),
                       "acknowledged")
    with state.session() as session:
        incident = _load(session, incident_id)
        user = session.scalars(select(User).where(User.username == actor)).first()
        if current_assignee(incident) is None and user is not None and not user.disabled:
            session.add(IncidentEvent(incident=incident, at=at, kind="assigned", actor=actor,
                                      detail={"assignee": actor, "by": "acknowledged"}))
    return incident


def assign(state: StateDB, incident_id: int, actor: str, assignee: str,
           at: datetime | None = None,
           may_handle: Callable[[User], bool] = lambda user: True) -> Incident:
    """Assign to the active user ``assignee``; ``may_handle`` (the caller's access rule)
    refuses a user who could not see or act on the incident."""
    with state.session() as session:
        user = session.scalars(select(User).where(User.username == assignee)).first()
    if user is None or user.disabled:
        raise WorkflowError(f"incident #{incident_id}: cannot assign to {assignee!r}, "
                            "no such active user")
    if not may_handle(user):
        raise WorkflowError(f"incident #{incident_id}: {assignee!r} cannot handle it (role "
                            "or brand scope)")
    return _record(state, incident_id, "assigned", actor, {"assignee": assignee}, at)


def comment(state: StateDB, incident_id: int, actor: str, text: str,
            at: datetime | None = None) -> Incident:
    text = checked_note(text, f"incident #{incident_id}", WorkflowError)
    if not text:
        raise WorkflowError(f"incident #{incident_id}: a comment needs some text")
    return _record(state, incident_id, "comment", actor, {"text": text}, at)


def resolve(state: StateDB, incident_id: int, actor: str, note: str = "",
            false_alarm: bool = False, at: datetime | None = None) -> Incident:
    kind = "false_alarm" if false_alarm else "resolved"
    note = checked_note(note, f"incident #{incident_id}", WorkflowError)
    return _record(state, incident_id, kind, actor, {"note": note}, at,
                   ("open", "acknowledged"), "resolved")


def reopen(state: StateDB, incident_id: int, actor: str,
           at: datetime | None = None) -> Incident:
    return _record(state, incident_id, "reopened", actor, {}, at, ("resolved",), "open")


def current_assignee(incident: Incident) -> str | None:
    """Who the incident is assigned to (its last ``assigned`` event), if anyone."""
    for event in reversed(incident.events):
        if event.kind == "assigned":
            return event.detail.get("assignee")
    return None


def notified_channels(state: StateDB, incident_id: int) -> list[str]:
    """Channels that received a notification about the incident, in first-notified order."""
    with state.session() as session:
        events = session.scalars(select(IncidentEvent).where(
            IncidentEvent.incident_id == incident_id, IncidentEvent.kind == "notified")
            .order_by(IncidentEvent.id))
        names = [e.detail.get("channel") for e in events]
    return list(dict.fromkeys(n for n in names if n))


def send_all_clear(state: StateDB, incident_id: int, channels: Mapping[str, Channel],
                   public_url: str, timezone: str = "Asia/Shanghai", resolution: str = "resolved",
                   note: str | None = None, at: datetime | None = None) -> list[str]:
    """Tell every channel told about the incident that it is over; record each outcome as a
    ``notified`` / ``notify_failed`` event of kind "resolved". Returns the channels reached."""
    names = notified_channels(state, incident_id)
    if not names:
        return []
    with state.session() as session:
        incident = _load(session, incident_id)
        notice = Notice.for_incident(incident, public_url, "resolved", timezone,
                                     resolution=resolution, note=note or None)
        # one all-clear per resolution: a reopened incident resolved again is told again
        occasion = incident.resolved_at.isoformat() if incident.resolved_at else ""
    deliveries = deliver(notice, names, channels, ledger=state, occasion=occasion)
    if not deliveries:
        return []
    with state.session() as session:
        incident = _load(session, incident_id)
        for delivery in deliveries:
            kind, detail = delivery.event("resolved")
            session.add(IncidentEvent(incident=incident, at=at or utcnow(), kind=kind,
                                      detail=detail))
    check_channels(state, deliveries, at or utcnow())
    return [d.channel for d in deliveries if d.ok]
