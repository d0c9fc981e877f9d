"""Silences: "no notifications about rule R (and/or entity E) until T, because ...".

A silenced incident is still opened, attached to and shown; only its notifications are held
back, and its timeline says so once per silence (a ``silenced`` event naming the silence, its
end and reason). When the silence ends, the next firing notifies as usual (the incident was
never marked notified). Every silence needs an end time and a reason, so none is forgotten.

A silence of entity E holds back only incidents about E (and E's products) alone: an incident
that also concerns another brand is not E's to silence, so its other brand is still told.
"""
from __future__ import annotations

from datetime import datetime
from typing import Mapping

from sqlalchemy import select

from alerting.exceptions import AlertingError
from models.review import utcnow
from models.state import Incident, IncidentEvent, Silence, StateDB

MAX_REASON = 2000  # characters


class SilenceError(AlertingError):
    pass


def add_silence(state: StateDB, ends_at: datetime, reason: str, created_by: str,
                rule: str | None = None, entity: str | None = None,
                now: datetime | None = None) -> Silence:
    """Raises ``SilenceError`` for a missing reason or an end time not in the future."""
    now = now or utcnow()
    if not reason.strip():
        raise SilenceError("a silence needs a reason")
    if len(reason) > MAX_REASON:
        raise SilenceError(f"a silence's reason is at most {MAX_REASON} characters")
    if ends_at.tzinfo is None or ends_at <= now:
        raise SilenceError(f"a silence must end in the future, got {ends_at.isoformat()}")
    with state.session() as session:
        silence = Silence(rule=rule or None, entity=entity or None, starts_at=now,
                          ends_at=ends_at, reason=reason.strip(), created_by=created_by)
        session.add(silence)
        session.flush()
        return silence


def end_silence(state: StateDB, silence_id: int, now: datetime | None = None) -> Silence:
    with state.session() as session:
        silence = session.get(Silence, silence_id)
        if silence is None:
            raise SilenceError(f"no silence #{silence_id}")
        silence.ends_at = min(silence.ends_at, now or utcnow())
        return silence


def active_silences(state: StateDB, now: datetime | None = None) -> list[Silence]:
    now = now or utcnow()
    with state.session() as session:
        return list(session.scalars(select(Silence).where(
            Silence.starts_at <= now, Silence.ends_at > now).order_by(Silence.ends_at)))


def covers(entity: str, entities: list[str], parents: Mapping[str, str | None]) -> bool:
    """Whether a silence of ``entity`` covers an incident about ``entities``: it names
    ``entity`` and nothing outside ``entity`` and its products (``parents``: id → parent)."""
    return entity in entities and all(e == entity or parents.get(e) == entity for e in entities)


def matching(silences: list[Silence], rule: str, entities: list[str],
             severity: str = "warning",
             parents: Mapping[str, str | None] | None = None) -> Silence | None:
    """The first of ``silences`` covering an incident of ``rule`` about ``entities``. A
    critical incident is held back only by a silence that names its rule: a blanket silence
    ("every rule of brand X") never hides a crisis. A silence of an entity covers only
    incidents about it and its products alone (``covers``)."""
    for silence in silences:
        if silence.rule not in (None, rule) or (silence.rule is None and severity == "critical"):
            continue
        if silence.entity is not None and not covers(silence.entity, list(entities or []),
                                                     parents or {}):
            continue
        return silence
    return None


def hold_back(state: StateDB, incident_id: int, now: datetime,
              parents: Mapping[str, str | None] | None = None) -> Silence | None:
    """The silence covering the incident now, recording a ``silenced`` event the first time
    this silence holds it back; None when the incident may be notified. ``parents`` maps an
    entity id to its parent brand (see ``covers``)."""
    with state.session() as session:
        incident = session.get(Incident, incident_id)
        silence = matching(active_silences(state, now), incident.rule, incident.entities,
                           incident.severity, parents)
        if silence is None:
            return None
        if not any(e.kind == "silenced" and e.detail.get("silence") == silence.id
                   for e in incident.events):
            session.add(IncidentEvent(incident=incident, at=now, kind="silenced", detail={
                "silence": silence.id, "until": silence.ends_at.isoformat(),
                "reason": silence.reason}))
        return silence
