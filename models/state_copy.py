"""Copying the relational state from one database to another (SQLite → PostgreSQL when an
installation scales out), table by table in foreign-key order, keeping every row's key.

Both databases are first brought to the newest migration, so the copy moves rows between
identical schemas. The target must hold no state rows yet (a copy never merges). On PostgreSQL
each table's id sequence is then moved past the copied ids, so new rows do not collide.
APScheduler's job store is not copied: the scheduler writes its jobs anew at start.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import func, insert, select, text

from models.state import Base, StateDB

CHUNK = 1000  # rows read and written at a time


@dataclass
class StateCopy:
    copied: dict[str, int] = field(default_factory=dict)    # table -> rows copied
    in_target: dict[str, int] = field(default_factory=dict)  # table -> rows found after

    @property
    def verified(self) -> bool:
        return self.copied == self.in_target


def occupied_tables(state: StateDB) -> dict[str, int]:
    """The state tables of ``state`` that hold rows, with their counts."""
    with state.engine.connect() as connection:
        counts = {table.name: connection.scalar(select(func.count()).select_from(table))
                  for table in Base.metadata.sorted_tables}
    return {name: count for name, count in counts.items() if count}


def copy_state(source: StateDB, target: StateDB,
               progress: Callable[[str, int], None] = lambda table, rows: None) -> StateCopy:
    """Copy every state row from ``source`` to ``target`` (migrated first); raises
    ``ValueError`` naming the tables when the target already holds state."""
    source.upgrade()
    target.upgrade()
    occupied = occupied_tables(target)
    if occupied:
        raise ValueError("the target already holds state (" + ", ".join(
            f"{name}: {count} rows" for name, count in sorted(occupied.items()))
            + "); copy into an empty database")
    result = StateCopy()
    with source.engine.connect() as reading, target.engine.begin() as writing:
        for table in Base.metadata.sorted_tables:
            rows = reading.execute(select(table)).mappings()
            copied = 0
            while chunk := [dict(row) for row in rows.fetchmany(CHUNK)]:
                writing.execute(insert(table), chunk)
                copied += len(chunk)
                progress(table.name, len(chunk))
            result.copied[table.name] = copied
            if writing.dialect.name == "postgresql" and "id" in table.c and copied:
                writing.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                                     f"'id'), (SELECT max(id) FROM {table.name}))"))
    with target.engine.connect() as connection:
        result.in_target = {table.name: connection.scalar(select(func.count())
                                                          .select_from(table))
                            for table in Base.metadata.sorted_tables}
    return result
