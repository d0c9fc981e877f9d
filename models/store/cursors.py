"""Opaque cursor strings shared by the backends: a tagged JSON list in URL-safe base64."""
from __future__ import annotations

import base64
import json
from typing import Any

from models.exceptions import InvalidCursor


def encode_cursor(kind: str, *values: Any) -> str:
    raw = json.dumps([kind, *values], separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(kind: str, cursor: str, arity: int) -> list[Any]:
    """Return the values of a cursor of ``kind``; raise ``InvalidCursor`` for anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise InvalidCursor(f"not a valid cursor: {cursor!r}") from exc
    if not isinstance(data, list) or len(data) != arity + 1 or data[0] != kind:
        raise InvalidCursor(f"not a {kind} cursor: {cursor!r}")
    return data[1:]
