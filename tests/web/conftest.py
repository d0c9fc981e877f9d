"""Fixtures for the web tests: the app on the real runtime (SQLite store and state DB in a
temp data directory, demo config), test clients signed in through the real login form
(``client`` is an admin; ``signed_in(username)`` any other user made with ``add_user``;
``anonymous`` nobody), and helpers that store records."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from models.state import Incident, IncidentEvent
from web.app import create_app
from web.security import accounts

PASSWORD = "correct-horse-电池"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(client, path: str = "/login") -> str:
    """The CSRF token the page at ``path`` puts in its forms."""
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF field on {path}"
    return match[1]


def log_in(client, username: str, password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_of(client)})


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    """Still scrypt, at a cost factor that keeps a suite of many logins fast."""
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", "scrypt:1024:8:1")


@pytest.fixture
def app(runtime):
    return create_app(runtime, {"TESTING": True})


@pytest.fixture
def add_user(runtime):
    def add(username: str, role: str = "analyst", entities=("*",), password: str = PASSWORD):
        return accounts.add_user(runtime.state, username, role, list(entities), password)
    return add


@pytest.fixture
def signed_in(app, add_user):
    """``signed_in(username, role, entities)`` → a test client signed in as a new user."""
    def make(username: str, role: str = "analyst", entities=("*",)):
        add_user(username, role, entities)
        client = app.test_client()
        assert log_in(client, username).status_code == 302
        return client
    return make


@pytest.fixture
def anonymous(app):
    return app.test_client()


@pytest.fixture
def client(signed_in):
    return signed_in("root", "admin")


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
