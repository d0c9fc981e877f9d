"""Cursor strings shared by the backends: ``feed.<seq>`` and ``search.<published>.<id>``.

A cursor names a position, so any string of its grammar (``CURSOR_PATTERNS``, which the API's
OpenAPI description states) is a valid place to continue from; anything else raises
``InvalidCursor``. Integers stay within the 64-bit range SQLite and Elasticsearch hold, and
review ids are the lower-case hex of ``models.review.review_id``.
"""
from __future__ import annotations

import re
from typing import Any

from models.exceptions import InvalidCursor

MAX_INT = 2 ** 63 - 1
# Up to 19 digits, a 19-digit one starting 1-8: always below 2**63 (Elasticsearch sorts a
# date_nanos field by nanoseconds, 19 digits today).
_INT = r"-?(?:0|[1-9][0-9]{0,17}|[1-8][0-9]{18})"
_ID = r"[0-9a-f]{24}"
CURSOR_PATTERNS = {"feed": rf"^feed\.{_INT}$", "search": rf"^search\.{_INT}\.{_ID}$"}
_PARTS = {"feed": (int,), "search": (int, str)}


def encode_cursor(kind: str, *values: Any) -> str:
    return ".".join([kind, *(str(v) for v in values)])


def decode_cursor(kind: str, cursor: str, arity: int,
                  types: tuple[type, ...] | None = None) -> list[Any]:
    """Return the values of a cursor of ``kind``; raise ``InvalidCursor`` for anything else
    (a client may send any string it likes)."""
    pattern = CURSOR_PATTERNS.get(kind)
    if pattern is None or not isinstance(cursor, str) or not re.fullmatch(pattern, cursor):
        raise InvalidCursor(f"not a {kind} cursor: {cursor!r}")
    parts = cursor.split(".")[1:]
    wanted = types or _PARTS[kind]
    if len(parts) != arity or len(wanted) != arity:
        raise InvalidCursor(f"not a {kind} cursor: {cursor!r}")
    return [int(part) if kind_ is int else part for part, kind_ in zip(parts, wanted)]
