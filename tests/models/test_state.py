from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from models.state import CrawlCheckpoint, Incident, IncidentEvent, StateDB


def test_times_come_back_aware_in_utc(tmp_path):
    state = StateDB(f"sqlite:///{tmp_path / 'state.db'}")
    state.create_all()
    opened = datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    with state.session() as s:
        incident = Incident(rule="negative-spike", title="负面激增", opened_at=opened)
        incident.events.append(IncidentEvent(kind="opened", at=opened))
        s.add(incident)
    with state.session() as s:
        got = s.scalars(select(Incident)).one()
        assert got.opened_at == opened and got.opened_at.tzinfo == timezone.utc
        assert [e.kind for e in got.events] == ["opened"]
    state.close()


def test_naive_times_are_refused(tmp_path):
    state = StateDB(f"sqlite:///{tmp_path / 'state.db'}")
    state.create_all()
    with pytest.raises(Exception, match="naive"):
        with state.session() as s:
            s.add(CrawlCheckpoint(source="s", watermark=datetime(2026, 1, 1)))
    with state.session() as s:  # the failed session was rolled back, nothing half-written
        assert s.scalars(select(CrawlCheckpoint)).all() == []
    state.close()
