"""``koubei state migrate`` (SQLite → a real PostgreSQL) and ``koubei state check``."""
from __future__ import annotations

from datetime import datetime, timezone

from click.testing import CliRunner
from sqlalchemy import select

from models.migrations import schema_differences
from models.state import (
    Base,
    CrawlCheckpoint,
    Incident,
    IncidentEvent,
    ReviewEvent,
    ReviewHandling,
    Silence,
    StateDB,
    User,
)
from web.cli.commands.state import state_group

AT = datetime(2026, 12, 1, 8, 30, tzinfo=timezone.utc)


def run(*args, home):
    return CliRunner().invoke(state_group, [*args, "--home", str(home)])


def fill(state: StateDB) -> None:
    with state.session() as s:
        s.add_all([User(username="admin", role="admin", entities=["*"]),
                   User(username="李四", role="handler", entities=["yunque"])])
        for n in range(3):
            incident = Incident(rule="negative-spike", title=f"负面激增 {n}", opened_at=AT,
                                last_fired_at=AT, review_ids=[f"r{n}"])
            incident.events.append(IncidentEvent(kind="opened", at=AT, detail={"n": n}))
            s.add(incident)
        s.add(Silence(ends_at=AT, reason="维护"))
        s.add(CrawlCheckpoint(source="demo-appstore", watermark=AT, recent_ids=["a"]))
        s.add(ReviewHandling(review_id="r0", status="handled", assignee="李四",
                             entities=["yunque"], arrived_at=AT, handled_at=AT,
                             handled_by="李四", outcome="refunded", note="已退款",
                             events=[ReviewEvent(kind="assigned", at=AT, actor="admin"),
                                     ReviewEvent(kind="handled", at=AT, actor="李四")]))


def test_state_moves_from_sqlite_to_postgresql(runtime, pg_node):
    fill(runtime.state)
    target = pg_node.database()
    moved = run("migrate", "--to", target, home=runtime.home)
    assert moved.exit_code == 0, moved.output
    assert "incidents: 3 copied, 3 in the target" in moved.output
    assert "review_events: 2 copied, 2 in the target" in moved.output
    assert "verified" in moved.output
    there = StateDB(target)
    with there.session() as s:
        assert s.scalars(select(User.username).order_by(User.id)).all() == ["admin", "李四"]
        [*_, last] = s.scalars(select(Incident).order_by(Incident.id)).all()
        assert last.title == "负面激增 2" and last.opened_at == AT
        assert [(e.kind, e.detail) for e in last.events] == [("opened", {"n": 2})]
        assert s.get(CrawlCheckpoint, "demo-appstore").watermark == AT
        handled = s.get(ReviewHandling, "r0")
        assert (handled.outcome, handled.note, handled.handled_at) == ("refunded", "已退款", AT)
        assert [e.kind for e in handled.events] == ["assigned", "handled"]
        s.add(Incident(rule="r", title="after the move"))  # ids continue past the copied ones
    with there.session() as s:
        assert s.scalars(select(Incident.id).order_by(Incident.id)).all() == [1, 2, 3, 4]
    assert schema_differences(there.engine, Base.metadata) == []
    there.close()

    again = run("migrate", "--to", target, home=runtime.home)  # never merges into state
    assert again.exit_code == 1 and "incidents: 4 rows" in again.output
    assert "copy into an empty database" in again.output


def test_state_check_names_the_revision(runtime):
    runtime.state
    checked = run("check", home=runtime.home)
    assert checked.exit_code == 0, checked.output
    assert "revision: 0007 (newest: 0007)" in checked.output
    with runtime.state.engine.begin() as connection:
        Base.metadata.tables["leases"].drop(connection)
    broken = run("check", home=runtime.home)
    assert broken.exit_code == 1 and "differs from the models" in broken.output
