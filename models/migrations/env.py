"""Alembic's environment: migrations run on the connection ``upgrade_schema`` hands over (or,
from the ``alembic`` command line, on ``$KOUBEI_STATE_URL``), compared with ``models.state``."""
from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from models.migrations import include_object
from models.state import Base

config = context.config


def run(connection) -> None:
    # render_as_batch: SQLite alters a table by copying it, which Alembic's batch mode does
    context.configure(connection=connection, target_metadata=Base.metadata,
                      include_object=include_object, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = create_engine(os.environ["KOUBEI_STATE_URL"])
    with engine.connect() as own:
        run(own)
    engine.dispose()
