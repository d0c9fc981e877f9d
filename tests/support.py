"""Helpers for tests that need a real component (Elasticsearch, SMTP, Chromium...).

Outside CI a missing component skips the test with the reason; under ``CI=true`` it fails,
because CI must never pass by silently not testing something.
"""
from __future__ import annotations

import os
import socket

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(available: bool, what: str) -> None:
    if available:
        return
    if in_ci():
        pytest.fail(f"required test component is missing under CI: {what}")
    pytest.skip(f"{what} is not available")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def walk_feed(store, cursor, limit: int = 200) -> list:
    """Every review ``store.feed`` gives after ``cursor``, page by page, in feed order."""
    seen = []
    while True:
        page = store.feed(cursor, limit=limit)
        if not page.reviews:
            return seen
        seen += page.reviews
        cursor = page.cursor
