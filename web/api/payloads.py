"""The JSON shapes the API returns for reviews and incidents.

Times are ISO-8601 in UTC. A review is ``Review.to_dict()`` without ``tokens`` (the segmented
search text is bulky and rarely wanted) unless the caller asks for them, plus ``reach`` (the sum
``Review.reach`` sorts by, so clients need not know which counts it adds up).
"""
from __future__ import annotations

from typing import Any

from models.review import Review
from models.state import Incident, IncidentEvent, ReviewHandling


def review_payload(review: Review, tokens: bool = False) -> dict[str, Any]:
    data = review.to_dict()
    if not tokens:
        data.pop("tokens", None)
    data["reach"] = review.reach
    return data


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def incident_payload(incident: Incident, events: bool = False) -> dict[str, Any]:
    """An incident; with ``events`` also its explanation, review ids and timeline."""
    data = {
        "id": incident.id,
        "rule": incident.rule,
        "group_key": incident.group_key,
        "status": incident.status,
        "severity": incident.severity,
        "title": incident.title,
        "entities": list(incident.entities or []),
        "opened_at": _iso(incident.opened_at),
        "last_fired_at": _iso(incident.last_fired_at),
        "acknowledged_at": _iso(incident.acknowledged_at),
        "resolved_at": _iso(incident.resolved_at),
        "metric": incident.metric,
        "baseline": incident.baseline,
    }
    if events:
        data["explanation"] = incident.explanation or {}
        data["review_ids"] = list(incident.review_ids or [])
        data["events"] = [event_payload(e) for e in incident.events]
    return data


def event_payload(event: IncidentEvent) -> dict[str, Any]:
    return {"id": event.id, "at": _iso(event.at), "kind": event.kind, "actor": event.actor,
            "detail": event.detail or {}}


def handling_payload(row: ReviewHandling | None, events: bool = True) -> dict[str, Any] | None:
    """A review's handling (None when nobody has touched it); with ``events`` its timeline."""
    if row is None:
        return None
    data = {"status": row.status, "assignee": row.assignee, "outcome": row.outcome,
            "note": row.note, "handled_by": row.handled_by, "handled_at": _iso(row.handled_at),
            "arrived_at": _iso(row.arrived_at), "updated_at": _iso(row.updated_at)}
    if events:
        data["events"] = [{"at": _iso(e.at), "kind": e.kind, "actor": e.actor,
                           "detail": e.detail or {}} for e in row.events]
    return data
