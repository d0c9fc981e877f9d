"""Relational state through SQLAlchemy: users, incidents and their timelines, the handling of
single reviews, crawl checkpoints, and the coordination of several processes (the scheduler's
lease, claimed runs, notice deliveries, the crawl queue).

SQLite in the data directory by default; PostgreSQL (``postgresql+psycopg://...``) when several
processes or machines share state. The schema is built and upgraded by the Alembic migrations
in ``models/migrations`` (``StateDB.upgrade``), the same ones on both databases. Times are
stored in UTC and always come back timezone-aware.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)

from models.migrations import upgrade_schema
from models.sqlite_wal import enable_wal


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, whatever the database keeps."""
    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a timezone")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="analyst")
    entities: Mapped[list] = mapped_column(JSON, default=lambda: ["*"])
    password_hash: Mapped[str | None] = mapped_column(String(256))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class ApiToken(Base):
    """A personal API token. Only a SHA-256 hash of the token is kept (tokens are long random
    strings, so a slow password hash buys nothing); ``prefix`` lets the owner tell them apart."""
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Silence(Base):
    """No notifications for matching incidents until ``ends_at`` (they are still recorded).
    ``rule`` None matches every rule; ``entity`` None every entity."""
    __tablename__ = "silences"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str | None] = mapped_column(String(64))
    entity: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64), default="system")


class Incident(Base):
    """One burst of negative word of mouth (or another rule's firing) and its handling."""
    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(64), index=True)
    group_key: Mapped[str] = mapped_column(String(256), default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open|acknowledged|resolved
    severity: Mapped[str] = mapped_column(String(16), default="warning")
    title: Mapped[str] = mapped_column(Text, default="")
    entities: Mapped[list] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, index=True)
    last_fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    metric: Mapped[float] = mapped_column(Float, default=0.0)
    baseline: Mapped[float] = mapped_column(Float, default=0.0)
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    review_ids: Mapped[list] = mapped_column(JSON, default=list)
    events: Mapped[list["IncidentEvent"]] = relationship(
        back_populates="incident", order_by="IncidentEvent.id", cascade="all, delete-orphan")


class IncidentEvent(Base):
    """The incident's timeline: opened, fired, notified, notify_failed, acknowledged,
    assigned, comment, resolved, auto_resolved, reopened."""
    __tablename__ = "incident_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64), default="system")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    incident: Mapped[Incident] = relationship(back_populates="events")


class ReviewHandling(Base):
    """A complaint handler's work on one review (``alerting.respond.review_handling``). No row
    means nobody has touched the review. ``status``: assigned | handled; ``entities`` are the
    review's, copied when the row is written, so scoping needs no trip to the review store;
    ``arrived_at`` is when Koubei collected the review (time to handle counts from it)."""
    __tablename__ = "review_handling"
    review_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="assigned", index=True)
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)
    entities: Mapped[list] = mapped_column(JSON, default=list)
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    handled_by: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(16))  # replied|refunded|escalated|other
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    events: Mapped[list["ReviewEvent"]] = relationship(
        back_populates="handling", order_by="ReviewEvent.id", cascade="all, delete-orphan")


class ReviewEvent(Base):
    """The review's handling timeline: assigned, handled, reopened."""
    __tablename__ = "review_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[str] = mapped_column(ForeignKey("review_handling.review_id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64), default="system")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    handling: Mapped[ReviewHandling] = relationship(back_populates="events")


class WebSession(Base):
    """One signed-in browser session. The cookie carries a random id; only its SHA-256 is
    kept, so this table holds nothing a browser could present. Deleting the row (sign-out,
    password change, a disabled account) ends every copy of that cookie at once."""
    __tablename__ = "web_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class LoginFailure(Base):
    """One failed sign-in, for throttling (``web.security.throttle``). Kept in the shared state DB so
    that every web process sees the same failures; rows older than the window are purged."""
    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(320), index=True)  # "user:NAME" or "ip:ADDRESS"
    at: Mapped[float] = mapped_column(Float, index=True)        # Unix time, seconds


class CrawlCheckpoint(Base):
    """Where a source's last crawl stopped, and whether the source works."""
    __tablename__ = "crawl_checkpoints"
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime)  # newest published_at stored
    recent_ids: Mapped[list] = mapped_column(JSON, default=list)     # native ids at the watermark
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="new")   # new|ok|broken
    broken_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_counts: Mapped[dict] = mapped_column(JSON, default=dict)


class Lease(Base):
    """A named lease (the scheduler's leadership): held by ``holder`` until ``expires_at``
    unless renewed; ``token`` grows by one at every change of holder (a fencing token)."""
    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128), default="")
    token: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JobRun(Base):
    """One run of a scheduled job for one slot (a detection tick's interval, a report's week):
    the unique (job, slot) makes a second run of the same slot impossible, whoever tries."""
    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "slot", name="uq_job_runs_job_slot"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(128))
    slot: Mapped[str] = mapped_column(String(64))
    holder: Mapped[str] = mapped_column(String(128), default="")
    token: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NoticeDelivery(Base):
    """One notice to one channel, under its idempotency key: claimed (``sending``) before the
    channel is called, then ``sent`` or ``failed``. A key claimed once is never sent again
    unless its earlier attempt failed."""
    __tablename__ = "notice_deliveries"
    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    incident_id: Mapped[int] = mapped_column(Integer, index=True)
    channel: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="sending")  # sending|sent|failed
    holder: Mapped[str] = mapped_column(String(128), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CrawlJob(Base):
    """A crawl waiting for (``queued``) or run by (``running``) a worker, then ``done`` or
    ``failed``. ``active_source`` is the source while the job is queued or running and NULL
    after: its unique index allows one unfinished crawl per source across the fleet.
    ``active_site`` is the site (host) the crawl talks to while it runs: its unique index
    allows one running crawl per site across the fleet (politeness)."""
    __tablename__ = "crawl_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    site: Mapped[str] = mapped_column(String(256), default="")
    active_source: Mapped[str | None] = mapped_column(String(64), unique=True)
    active_site: Mapped[str | None] = mapped_column(String(256), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # indexed: the scheduler asks every few seconds which crawls finished since a time
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    result: Mapped[dict] = mapped_column(JSON, default=dict)

class AuditEntry(Base):
    """Who changed which rule, entity, channel or user, and when (``models.audit``)."""
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, index=True)
    actor: Mapped[str] = mapped_column(String(64))      # a username, or "cli:NAME" / "system"
    kind: Mapped[str] = mapped_column(String(16), index=True)  # rule|entity|channel|user
    target: Mapped[str] = mapped_column(String(128))   # the rule's, entity's ... name
    action: Mapped[str] = mapped_column(String(32))    # created|updated|deleted|disabled|...
    detail: Mapped[dict] = mapped_column(JSON, default=dict)  # e.g. {"changes": {key: [a, b]}}


class RetagJob(Base):
    """Re-tagging stored reviews after an entity's keywords changed, with its progress."""
    __tablename__ = "retag_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|done|failed
    total: Mapped[int] = mapped_column(Integer, default=0)    # reviews to look at
    done: Mapped[int] = mapped_column(Integer, default=0)     # reviews looked at
    added: Mapped[int] = mapped_column(Integer, default=0)    # reviews that gained the entity
    removed: Mapped[int] = mapped_column(Integer, default=0)  # reviews that lost it
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)


class ReanalyzeJob(Base):
    """Re-labelling stored reviews with the current model (``koubei reanalyze``), with its
    progress and the point it reached, so that an interrupted job resumes there."""
    __tablename__ = "reanalyze_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))      # a username, or "cli:NAME"
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: every stored review
    model: Mapped[str] = mapped_column(String(128))     # the model version labelling
    # running|done|failed|interrupted (the last two resume where they stopped)
    status: Mapped[str] = mapped_column(String(16), default="running")
    total: Mapped[int] = mapped_column(Integer, default=0)      # reviews to look at
    done: Mapped[int] = mapped_column(Integer, default=0)       # reviews looked at
    relabelled: Mapped[int] = mapped_column(Integer, default=0)  # whose sentiment changed
    written: Mapped[int] = mapped_column(Integer, default=0)    # rewritten (any analysis change)
    skipped: Mapped[int] = mapped_column(Integer, default=0)    # changed by a writer meanwhile
    # the last review done, in the store's iteration order (published_at, id)
    reached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reached_id: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)


class StateDB:
    """Engine and session factory for the relational state."""

    def __init__(self, url: str):
        self.url = url = driver_url(url)
        connect_args = {"timeout": 30} if url.startswith("sqlite") else {}
        self.engine = create_engine(url, connect_args=connect_args, pool_pre_ping=True)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def create_all(self) -> None:
        """Create the tables straight from the models, for scratch databases (a backtest's);
        a kept database is built by ``upgrade``."""
        Base.metadata.create_all(self.engine)

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (``models.migrations``); safe to repeat
        and to run from several processes at once on PostgreSQL."""
        upgrade_schema(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()


def hold_lock(session: Session, key: str) -> None:
    """Make the rest of ``session``'s transaction exclusive for ``key``: another session that
    holds the same key waits until this transaction ends (commit or rollback). Call it first
    in the transaction. On PostgreSQL a transaction-level advisory lock on the key's hash; on
    SQLite the database's write lock (``BEGIN IMMEDIATE``), which one writer holds at a time,
    whatever its key."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                           {"key": key})
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def driver_url(url: str) -> str:
    """``url`` with the PostgreSQL driver this project installs (psycopg 3) named, when it
    names none (``postgresql://`` or ``postgres://``)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    enable_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
