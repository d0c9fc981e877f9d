"""Follow-up on active incidents, once per detection tick, after new firings are handled:

- **Queued notifications**: an incident whose first notification waited for its team's
  quiet hours (a ``queued`` event) is notified at the first tick after they end. One that
  resolved itself in the meantime is not sent (its timeline shows it).
- **Escalation**: an incident still ``open`` (nobody acknowledged it) ``escalate_after`` it
  opened is escalated once: an ``escalated`` event, an assignment to the next member of the
  rotation, and an "escalated" notice to the team's ``escalation_channels`` (else its usual
  channels), sent even in quiet hours. The clock starts at opening whether or not its
  notice got through (a failing channel is a reason to escalate, not to wait); only a notice
  held for the team's quiet hours starts the clock when it is released.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from alerting.respond.incidents import ACTIVE, IncidentChange, IncidentManager, by_name
from alerting.respond.notice import Notice
from alerting.respond.routing import channels_for, must_wait, on_call, team_for
from models.state import Incident, IncidentEvent


def escalation_clock(incident: Incident) -> datetime | None:
    """When the incident's escalation clock started (see the module docstring); None while
    its first notice is still held for quiet hours."""
    if not any(e.kind == "queued" for e in incident.events):
        return incident.opened_at
    return next((e.at for e in incident.events if e.kind == "notified"), None)


def follow_up(manager: IncidentManager, rule_configs: Any, now: datetime) -> list[IncidentChange]:
    """Release queued notifications and escalate unacknowledged incidents (see above)."""
    configs, changes = by_name(rule_configs), []
    with manager.state.session() as session:
        active = list(session.scalars(select(Incident).where(Incident.status.in_(ACTIVE))
                                      .options(selectinload(Incident.events))))
    for incident in active:
        config = configs.get(incident.rule)
        team = team_for(config, manager.teams)
        names = channels_for(config.channels if config else [], team)
        kinds = {e.kind for e in incident.events}
        if (names and incident.last_notified_at is None and "queued" in kinds
                and not must_wait(team, incident.severity, now, manager.timezone)):
            changes.append(_send(manager, incident, "opened", names, "released", team))
            continue
        started = escalation_clock(incident)
        if (team is None or team.escalate_after is None or incident.status != "open"
                or started is None or "escalated" in kinds
                or now - started < team.escalate_after):
            continue
        person = on_call(team, now, manager.timezone, offset=1)
        with manager.state.session() as session:
            stored = session.get(Incident, incident.id)
            session.add(IncidentEvent(incident=stored, at=now, kind="escalated", detail={
                "after_seconds": int(team.escalate_after.total_seconds()), "to": person,
                "channels": list(team.escalation_channels or names)}))
            if person:
                session.add(IncidentEvent(incident=stored, at=now, kind="assigned",
                                          actor="escalation",
                                          detail={"assignee": person, "on_call": team.name}))
        changes.append(_send(manager, incident, "escalated",
                             list(team.escalation_channels or names), "escalated", team))
    return changes


def _send(manager: IncidentManager, incident: Incident, kind: str, names: list[str],
          action: str, team: Any) -> IncidentChange:
    notice = Notice.for_incident(incident, manager.public_url, kind, manager.timezone,
                                 action_key=manager.action_key)
    change = IncidentChange(incident.id, incident.rule, incident.group_key, action,
                            incident.title)
    # the manager records outcomes, channel health and silences the same way for every notice
    manager._notify(incident.id, notice, names, change, team, incident.severity)
    return change
