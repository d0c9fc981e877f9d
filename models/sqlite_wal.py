"""Switching a SQLite file to write-ahead logging, safely when several processes open it at
once (the web process, the scheduler and crawl children share the review store and the state
database).

SQLite answers ``PRAGMA journal_mode=WAL`` with "database is locked" at once, without waiting
on the connection's busy timeout, while another connection holds the lock the change needs
(seen when three processes opened a fresh file together). WAL is stored in the file, so only
the first switch needs that lock: ``enable_wal`` retries briefly until it gets it.
"""
from __future__ import annotations

import sqlite3
import time
from typing import Any

ATTEMPTS = 60
PAUSE = 0.05  # seconds, growing with each attempt: about 90 s before giving up


def enable_wal(connection: Any) -> None:
    """Run ``PRAGMA journal_mode=WAL`` on ``connection`` (a sqlite3 connection or cursor),
    retrying while the file is locked; re-raises any other error, or the last one."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or attempt == ATTEMPTS:
                raise
            time.sleep(PAUSE * min(attempt, 10))
