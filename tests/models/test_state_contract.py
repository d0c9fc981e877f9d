"""The relational state's contract, run against SQLite and a real PostgreSQL alike: the
migrations build exactly the models, times come back aware, and the coordination primitives
(lease, once-only runs, crawl queue) hold between several processes' sessions."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from models import crawl_queue
from models.lease import Fence, LeaderLease, claim_run, interval_slot
from models.migrations import (
    alembic_config,
    current_revision,
    head_revision,
    schema_differences,
)
from models.state import (
    Base,
    CrawlCheckpoint,
    Incident,
    IncidentEvent,
    ReviewEvent,
    ReviewHandling,
    StateDB,
    User,
)

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, at: datetime = T0):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def test_migrations_build_exactly_the_models(state_db):
    """A model added or changed in ``models.state`` needs its migration in
    ``models/migrations/versions`` (see ``models/migrations/__init__.py``)."""
    assert current_revision(state_db.engine) == head_revision()
    assert schema_differences(state_db.engine, Base.metadata) == [], (
        "the models differ from what the migrations build: add a migration")
    state_db.upgrade()  # repeating is harmless
    assert schema_differences(state_db.engine, Base.metadata) == []


def test_a_model_without_its_migration_is_a_difference(state_db):
    # the check above can fail: a table the migrations never made shows up
    with state_db.engine.begin() as connection:
        Base.metadata.tables["leases"].drop(connection)
    assert [d[0] for d in schema_differences(state_db.engine, Base.metadata)] == ["add_table"]


def test_times_come_back_aware_in_utc(state_db):
    opened = datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    with state_db.session() as s:
        incident = Incident(rule="negative-spike", title="负面激增", opened_at=opened,
                            entities=["云雀"], explanation={"terms": [{"term": "屏幕"}]})
        incident.events.append(IncidentEvent(kind="opened", at=opened))
        s.add(incident)
    with state_db.session() as s:
        got = s.scalars(select(Incident)).one()
        assert got.opened_at == opened and got.opened_at.tzinfo == timezone.utc
        assert got.entities == ["云雀"] and got.explanation["terms"][0]["term"] == "屏幕"
        assert [e.kind for e in got.events] == ["opened"]


def test_naive_times_are_refused_and_nothing_half_written(state_db):
    with pytest.raises(Exception, match="naive"):
        with state_db.session() as s:
            s.add(CrawlCheckpoint(source="s", watermark=datetime(2026, 1, 1)))
    with state_db.session() as s:
        assert s.scalars(select(CrawlCheckpoint)).all() == []


def test_usernames_are_unique(state_db):
    with state_db.session() as s:
        s.add(User(username="li"))
    with pytest.raises(IntegrityError):
        with state_db.session() as s:
            s.add(User(username="li"))


def test_one_lease_holder_and_takeover_only_after_expiry(state_db):
    clock = Clock()
    first = LeaderLease(state_db, holder="a", ttl=timedelta(seconds=30), clock=clock)
    second = LeaderLease(state_db, holder="b", ttl=timedelta(seconds=30), clock=clock)
    fence = first.acquire()
    assert fence is not None and second.acquire() is None
    clock.at += timedelta(seconds=20)
    assert first.renew() and second.acquire() is None  # renewed: 30 s from now
    clock.at += timedelta(seconds=31)  # "a" died and stopped renewing
    taken = second.acquire()
    assert taken is not None and taken.token == fence.token + 1
    assert not first.renew() and first.fence is None  # the old holder learns it lost
    second.release()
    assert first.acquire().token == taken.token + 1  # released: no wait for the ttl


def test_a_slot_runs_once_and_only_under_the_lease(state_db):
    clock = Clock()
    lease = LeaderLease(state_db, holder="a", ttl=timedelta(seconds=30), clock=clock)
    fence = lease.acquire()
    slot = interval_slot(T0, timedelta(minutes=1))
    assert claim_run(state_db, "detect", slot, fence, now=T0)
    assert not claim_run(state_db, "detect", slot, fence, now=T0)  # never twice
    stale = Fence(fence.name, fence.holder, fence.token - 1)
    assert not claim_run(state_db, "detect", "other", stale, now=T0)  # a former leader
    later = T0 + timedelta(minutes=5)  # the lease expired meanwhile
    assert not claim_run(state_db, "detect", interval_slot(later, timedelta(minutes=1)),
                         fence, now=later)
    assert interval_slot(T0 + timedelta(seconds=59), timedelta(minutes=1)) == slot


def test_crawl_queue_one_unfinished_job_per_source(state_db):
    first = crawl_queue.enqueue(state_db, "yunque-appstore", now=T0)
    assert first is not None
    assert crawl_queue.enqueue(state_db, "yunque-appstore", now=T0) is None  # still queued
    other = crawl_queue.enqueue(state_db, "yunque-weibo", now=T0)
    claimed = crawl_queue.claim(state_db, "w1", now=T0)
    assert claimed.id == first and claimed.source == "yunque-appstore"
    assert crawl_queue.claim(state_db, "w2", now=T0).id == other
    assert crawl_queue.claim(state_db, "w3", now=T0) is None
    assert crawl_queue.enqueue(state_db, "yunque-appstore", now=T0) is None  # running
    assert not crawl_queue.finish(state_db, first, "w2", True, {})  # not w2's job
    assert crawl_queue.finish(state_db, first, "w1", True, {"new": 3})
    assert crawl_queue.enqueue(state_db, "yunque-appstore", now=T0) is not None


def test_a_dead_workers_crawl_is_abandoned(state_db):
    job = crawl_queue.enqueue(state_db, "s", now=T0)
    crawl_queue.claim(state_db, "w1", now=T0)
    assert crawl_queue.heartbeat(state_db, job, "w1", now=T0 + timedelta(seconds=30))
    assert crawl_queue.abandon_stale(state_db, timedelta(minutes=2),
                                     now=T0 + timedelta(minutes=2)) == 0
    assert crawl_queue.abandon_stale(state_db, timedelta(minutes=2),
                                     now=T0 + timedelta(minutes=3)) == 1
    assert not crawl_queue.heartbeat(state_db, job, "w1")  # the worker learns it lost it
    assert crawl_queue.enqueue(state_db, "s") is not None


def test_a_database_made_before_migrations_is_adopted(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = StateDB(url)
    tables = [t for name, t in Base.metadata.tables.items() if name in (
        "users", "api_tokens", "incidents", "incident_events", "audit_log")]
    Base.metadata.create_all(old.engine, tables=tables)  # as create_all left it, some tables
    with old.session() as s:
        s.add(User(username="kept"))
    old.upgrade()
    assert schema_differences(old.engine, Base.metadata) == []
    with old.session() as s:
        assert s.scalars(select(User.username)).all() == ["kept"]
    old.close()
    assert "alembic_version" in sqlite3.connect(tmp_path / "old.db").execute(
        "select group_concat(name) from sqlite_master").fetchone()[0]


def test_review_handling_tables_arrive_by_migration_0005_or_are_adopted(state_db):
    """0005 makes review_handling and review_events on a database at 0004, and adopts them
    with their rows where create_all already made them (the version that introduced them)."""
    with state_db.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0004")
    assert current_revision(state_db.engine) == "0004"
    assert not {"review_handling", "review_events"} & set(
        inspect(state_db.engine).get_table_names())
    state_db.upgrade()  # made by the migration
    assert current_revision(state_db.engine) == head_revision()
    assert schema_differences(state_db.engine, Base.metadata) == []

    with state_db.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0004")
    tables = [Base.metadata.tables["review_handling"], Base.metadata.tables["review_events"]]
    Base.metadata.create_all(state_db.engine, tables=tables)  # as create_all left them
    with state_db.session() as s:
        s.add(ReviewHandling(review_id="r1", assignee="li", entities=["yunque"], arrived_at=T0,
                             events=[ReviewEvent(kind="assigned", actor="admin", at=T0)]))
    state_db.upgrade()  # adopted
    assert schema_differences(state_db.engine, Base.metadata) == []
    with state_db.session() as s:
        kept = s.get(ReviewHandling, "r1")
        assert (kept.assignee, kept.arrived_at, [e.kind for e in kept.events]) == (
            "li", T0, ["assigned"])


def test_one_running_crawl_per_site(state_db):
    first = crawl_queue.enqueue(state_db, "bilibili-a", now=T0, site="api.bilibili.com")
    second = crawl_queue.enqueue(state_db, "bilibili-b", now=T0, site="api.bilibili.com")
    other = crawl_queue.enqueue(state_db, "weibo", now=T0, site="m.weibo.cn")
    files = [crawl_queue.enqueue(state_db, f"file-{n}", now=T0) for n in (1, 2)]  # no site
    taken = [crawl_queue.claim(state_db, f"w{n}", now=T0) for n in range(5)]
    assert [c.id if c else None for c in taken] == [first, other, *files, None]
    assert crawl_queue.finish(state_db, first, "w0", True, {})
    assert crawl_queue.claim(state_db, "w5", now=T0).id == second  # the site is free again
