"""``Notice``: what a channel is told about an incident, independent of how it is sent."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from alerting.respond.action_links import action_links
from models.state import Incident


@dataclass(frozen=True)
class Notice:
    """One notification about one incident. ``kind`` is "opened" for the first notification,
    "realert" when the incident keeps firing after the rule's ``realert`` interval, and
    "resolved" for the all-clear (``resolution`` then says how: "resolved", "auto_resolved"
    or "false_alarm", with ``note`` the handler's resolution note). ``actions`` holds the
    signed links (``alerting.respond.action_links``): "acknowledge" and "open"."""
    incident_id: int
    rule: str
    group_key: str
    title: str
    status: str
    severity: str
    opened_at: datetime
    metric: float
    baseline: float
    link: str
    kind: str = "opened"
    timezone: str = "Asia/Shanghai"  # how people reading the notice see times
    entities: tuple[str, ...] = ()
    explanation: dict[str, Any] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)
    resolution: str | None = None
    note: str | None = None

    @classmethod
    def for_incident(cls, incident: Incident, public_url: str, kind: str = "opened",
                     timezone: str = "Asia/Shanghai", action_key: str | None = None,
                     resolution: str | None = None, note: str | None = None) -> "Notice":
        """The notice for ``incident``; with ``action_key`` (the instance key) it carries
        signed action links."""
        actions = (action_links(action_key, public_url, incident.id)
                   if action_key and kind != "resolved" else {})
        return cls(actions=actions, resolution=resolution, note=note,
                   incident_id=incident.id, rule=incident.rule, group_key=incident.group_key,
                   title=incident.title, status=incident.status, severity=incident.severity,
                   opened_at=incident.opened_at, metric=incident.metric,
                   baseline=incident.baseline, kind=kind, timezone=timezone,
                   entities=tuple(incident.entities),
                   link=f"{public_url.rstrip('/')}/incidents/{incident.id}",
                   explanation=dict(incident.explanation or {}))

    def local_time(self, value: datetime) -> str:
        """"2026-11-02 20:00（Asia/Shanghai）" for people; payloads keep ISO-8601 UTC."""
        return f"{value.astimezone(ZoneInfo(self.timezone)):%Y-%m-%d %H:%M}（{self.timezone}）"

    @property
    def summary(self) -> str:
        return str(self.explanation.get("summary") or self.title)

    def payload(self) -> dict[str, Any]:
        """The JSON document webhooks receive: ``id`` (the incident's), ``rule``,
        ``group_key``, ``kind`` (opened|realert), ``title``, ``status``, ``severity``,
        ``opened_at`` (ISO-8601 UTC), ``metric``, ``baseline``, ``entities``, ``summary``,
        ``explanation`` (see ``alerting.detect.explanation``) and ``link`` to the incident page;
        ``actions`` (signed links) when there are any; for the all-clear also ``resolution``
        and ``note``."""
        data = {"id": self.incident_id, "rule": self.rule,
                "group_key": self.group_key, "kind": self.kind, "title": self.title,
                "status": self.status, "severity": self.severity,
                "opened_at": self.opened_at.isoformat(), "metric": self.metric,
                "baseline": self.baseline, "entities": list(self.entities),
                "summary": self.summary, "explanation": self.explanation, "link": self.link}
        if self.actions:
            data["actions"] = dict(self.actions)
        if self.kind == "resolved":
            data["resolution"], data["note"] = self.resolution, self.note
        return data

    @property
    def acknowledge_link(self) -> str | None:
        return self.actions.get("acknowledge")

    @property
    def open_link(self) -> str:
        return self.actions.get("open") or self.link
