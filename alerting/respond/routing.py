"""Routing an incident to people: its rule's team, who is on call, whether the team is in
quiet hours, and which channels hear about it.

- ``channels_for``: the rule's own channels, then its team's (each once, in that order).
- ``on_call``: team members take whole weeks in turn, weeks starting Monday 00:00 in the
  config timezone, counted from Monday 2024-01-01, so every process computes the same person
  without any stored state.
- ``in_quiet_hours``: whether a local time falls in the team's quiet hours (a span over
  midnight such as 22:00–08:00 included); ``quiet_until`` when they end.
- ``must_wait``: a non-critical incident of a team in quiet hours waits; crisis (severity
  critical) never does.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from models.config import TeamConfig
from models.state import Incident, IncidentEvent

ROTATION_EPOCH = date(2024, 1, 1)  # a Monday


def team_for(rule_config: Any, teams: Iterable[TeamConfig]) -> TeamConfig | None:
    """The team ``rule_config`` (a rule config, or None) routes to, if any."""
    name = getattr(rule_config, "team", None)
    return next((t for t in teams if t.name == name), None) if name else None


def channels_for(rule_channels: list[str], team: TeamConfig | None) -> list[str]:
    return list(dict.fromkeys([*rule_channels, *(team.channels if team else [])]))


def on_call(team: TeamConfig, at: datetime, timezone: str, offset: int = 0) -> str | None:
    """The member on call at ``at`` (``offset`` 1: the one after them, for escalation)."""
    if not team.members:
        return None
    week = (at.astimezone(ZoneInfo(timezone)).date() - ROTATION_EPOCH).days // 7
    return team.members[(week + offset) % len(team.members)]


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(team: TeamConfig | None, at: datetime, timezone: str) -> bool:
    if team is None or team.quiet_hours is None:
        return False
    now = at.astimezone(ZoneInfo(timezone)).time()
    start, end = _clock(team.quiet_hours.start), _clock(team.quiet_hours.end)
    if start <= end:
        return start <= now < end
    return now >= start or now < end


def quiet_until(team: TeamConfig, at: datetime, timezone: str) -> datetime:
    """When the quiet hours around ``at`` end (aware, in UTC)."""
    zone = ZoneInfo(timezone)
    local = at.astimezone(zone)
    end = datetime.combine(local.date(), _clock(team.quiet_hours.end), zone)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(at.tzinfo)


def must_wait(team: TeamConfig | None, severity: str, at: datetime, timezone: str) -> bool:
    return severity != "critical" and in_quiet_hours(team, at, timezone)


def queue_for_quiet_hours(state: Any, incident_id: int, team: TeamConfig | None,
                          severity: str, at: datetime, timezone: str) -> bool:
    """True when the notification must wait for the team's quiet hours to end; the first
    time, a ``queued`` event says until when (``alerting.respond.escalation`` sends it then)."""
    if not must_wait(team, severity, at, timezone):
        return False
    with state.session() as session:
        incident = session.get(Incident, incident_id)
        if not any(e.kind == "queued" for e in incident.events):
            session.add(IncidentEvent(incident=incident, at=at, kind="queued", detail={
                "team": team.name, "until": quiet_until(team, at, timezone).isoformat()}))
    return True
