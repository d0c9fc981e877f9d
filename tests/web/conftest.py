"""Fixtures for the web tests: the app on the real runtime (SQLite store and state DB in a
temp data directory, demo config), a test client, and helpers that store records."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models.state import Incident, IncidentEvent
from web import create_app


@pytest.fixture
def app(runtime):
    return create_app(runtime, {"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def store(runtime):
    return runtime.store


OPENED = datetime(2026, 11, 2, 6, 5, tzinfo=timezone.utc)  # 14:05 in Beijing


@pytest.fixture
def add_incident(runtime):
    """Store an incident (and its events) and return its id."""
    def add(events: tuple[tuple[str, dict], ...] = (("opened", {}),), **values) -> int:
        values.setdefault("rule", "negative-spike")
        values.setdefault("title", "云雀手机 负面评论激增")
        values.setdefault("opened_at", OPENED)
        values.setdefault("last_fired_at", values["opened_at"])
        values.setdefault("metric", 21.0)
        values.setdefault("baseline", 0.4)
        values.setdefault("entities", ["yunque"])
        with runtime.state.session() as session:
            incident = Incident(**values)
            for i, (kind, detail) in enumerate(events):
                incident.events.append(IncidentEvent(
                    kind=kind, detail=detail, at=values["opened_at"] + timedelta(minutes=i)))
            session.add(incident)
            session.flush()
            return incident.id
    return add
