"""Opaque cursor strings shared by the backends: a tagged JSON list in URL-safe base64."""
from __future__ import annotations

import base64
import json
from typing import Any

from models.exceptions import InvalidCursor


def encode_cursor(kind: str, *values: Any) -> str:
    raw = json.dumps([kind, *values], separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


MAX_INT = 2 ** 63 - 1  # what SQLite and Elasticsearch longs hold


def decode_cursor(kind: str, cursor: str, arity: int,
                  types: tuple[type, ...] | None = None) -> list[Any]:
    """Return the values of a cursor of ``kind``; raise ``InvalidCursor`` for anything else,
    including (with ``types``, one per value) a value of another type or an integer out of
    the 64-bit range: a client may send any base64 it likes."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise InvalidCursor(f"not a valid cursor: {cursor!r}") from exc
    if not isinstance(data, list) or len(data) != arity + 1 or data[0] != kind:
        raise InvalidCursor(f"not a {kind} cursor: {cursor!r}")
    for value, wanted in zip(data[1:], types or ()):
        if type(value) is not wanted or (wanted is int and not -MAX_INT <= value <= MAX_INT):
            raise InvalidCursor(f"not a {kind} cursor (a value of the wrong kind): {cursor!r}")
    return data[1:]
