"""Switching to WAL while another process holds the file's lock: SQLite refuses at once
("database is locked") instead of waiting, so ``enable_wal`` waits for the lock itself."""
from __future__ import annotations

import sqlite3
import threading

import pytest

from models.sqlite_wal import enable_wal


def test_wal_is_enabled_once_the_other_connection_lets_go(tmp_path):
    path = tmp_path / "fresh.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")  # what a second process opening the file can hold
    waiting = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        waiting.execute("PRAGMA journal_mode=WAL")  # the bare pragma gives up at once

    threading.Timer(0.5, lambda: holder.execute("COMMIT")).start()
    enable_wal(waiting)

    assert waiting.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_other_errors_are_not_retried(tmp_path):
    closed = sqlite3.connect(tmp_path / "x.db")
    closed.close()
    with pytest.raises(sqlite3.ProgrammingError):
        enable_wal(closed)
