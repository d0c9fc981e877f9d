"""A channel that keeps failing raises an operational incident of its own.

Every delivery is already retried with backoff (``Channel.send``) and recorded on its incident
(``notified`` / ``notify_failed``). When a channel's last ``FAILING_AFTER`` deliveries all
failed, an incident of rule ``CHANNEL_RULE`` (group key: the channel's name, severity
critical) is opened — or, while it is active, marked as firing again — so the silence is
seen on the incidents page and in the API instead of passing unnoticed. The first successful
delivery through the channel resolves it (``auto_resolved``).
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import select

from alerting.respond.delivery import Delivery
from models.state import Incident, IncidentEvent, StateDB

CHANNEL_RULE = "channel-failing"
FAILING_AFTER = 3
_LOOKBACK = 500  # recent delivery events scanned; a channel's streak lies well within them


def _recent_outcomes(session, channel: str) -> list[bool]:
    """Newest first: True for each recent delivery through ``channel`` that worked."""
    events = session.scalars(
        select(IncidentEvent).where(IncidentEvent.kind.in_(("notified", "notify_failed")))
        .order_by(IncidentEvent.id.desc()).limit(_LOOKBACK))
    return [e.kind == "notified" for e in events if (e.detail or {}).get("channel") == channel]


def _active(session, channel: str) -> Incident | None:
    return session.scalars(select(Incident).where(
        Incident.rule == CHANNEL_RULE, Incident.group_key == channel,
        Incident.status.in_(("open", "acknowledged")))).first()


def check_channels(state: StateDB, deliveries: Iterable[Delivery], now: datetime) -> list[int]:
    """Open, refresh or resolve channel incidents after ``deliveries`` were recorded; returns
    the ids of incidents opened."""
    opened = []
    with state.session() as session:
        for delivery in {d.channel: d for d in deliveries}.values():
            active = _active(session, delivery.channel)
            if delivery.ok:
                if active is not None:
                    active.status, active.resolved_at = "resolved", now
                    session.add(IncidentEvent(incident=active, at=now, kind="auto_resolved",
                                              detail={"reason": "delivered again"}))
                continue
            streak = _recent_outcomes(session, delivery.channel)[:FAILING_AFTER]
            if len(streak) < FAILING_AFTER or any(streak):
                continue
            detail = {"channel": delivery.channel, "error": delivery.error,
                      "failed_in_a_row": FAILING_AFTER}
            if active is not None:
                active.last_fired_at = now
                session.add(IncidentEvent(incident=active, at=now, kind="fired", detail=detail))
                continue
            incident = Incident(
                rule=CHANNEL_RULE, group_key=delivery.channel, status="open",
                severity="critical", title=f"通知渠道 {delivery.channel} 持续发送失败",
                entities=[], opened_at=now, last_fired_at=now, metric=FAILING_AFTER,
                explanation={"summary": f"通知渠道 {delivery.channel} 最近 {FAILING_AFTER} 次"
                                        f"发送（每次已重试）全部失败：{delivery.error}",
                             "summary_en": f"The last {FAILING_AFTER} deliveries through "
                                           f"channel {delivery.channel} all failed "
                                           f"(each retried): {delivery.error}"})
            session.add(incident)
            session.add(IncidentEvent(incident=incident, at=now, kind="opened", detail=detail))
            session.flush()
            opened.append(incident.id)
    return opened
