"""The relational state's schema history: Alembic migrations that build and upgrade SQLite and
PostgreSQL alike (``versions/``, run by ``upgrade_schema``).

``0001`` is the baseline, the tables as they were when migrations began; it creates only the
tables missing, so a state database made before (by ``create_all``) is adopted as it is. Each
later table or column comes with a migration of its own; ``tests/models/test_migrations.py``
checks that the migrations produce exactly the models of ``models.state`` (an autogenerate
diff that is empty). Tables other libraries own (APScheduler's job store) are left alone.

A new migration: ``alembic -c models/migrations/alembic.ini revision --autogenerate -m WHAT``
with ``KOUBEI_STATE_URL`` naming a database at the newest revision.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection, Engine

HERE = Path(__file__).resolve().parent
# Tables in the state database that the models do not describe and migrations never touch.
FOREIGN_TABLES = {"apscheduler_jobs"}
# Any constant shared by every process: key of the PostgreSQL advisory lock taken while
# upgrading, so that processes starting together upgrade one after the other.
UPGRADE_LOCK = 0x6B6F7562  # "koub"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Leave alone the tables other libraries own (APScheduler's job store)."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config on ``versions/``; with ``connection`` the migrations run on it."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(HERE / "versions"))
    config.attributes["connection"] = connection
    return config


def upgrade_schema(engine: Engine) -> None:
    """Run every migration not yet applied to ``engine``'s database."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        command.upgrade(alembic_config(connection), "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision of ``versions/``."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def schema_differences(engine: Engine, metadata: MetaData) -> list:
    """What autogenerate would still change to make ``engine``'s database match ``metadata``
    (the models): empty when the migrations describe the models exactly."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": include_object, "compare_type": True})
        return compare_metadata(context, metadata)
