"""Decoding a JSON (or JSONP) response body for the API parsers.

Broken UTF-8 (a truncated multi-byte character, a stray byte) does not lose the page: the bad
bytes become U+FFFD and the rest is read. A body that is not JSON raises ``PageFormatError``.
"""
from __future__ import annotations

import json
import re
from typing import Any

from crawlers.exceptions import PageFormatError

# The whole body must be ``callback( ... )`` with an optional ``;``: anchored, so a ")" inside
# a review cannot end the match early.
_JSONP = re.compile(r"^\s*[A-Za-z_$][\w$.]*\s*\((?P<json>.*)\)\s*;?\s*$", re.DOTALL)


def decode(body: bytes | str) -> str:
    """``body`` as text: UTF-8 (BOM dropped, broken bytes replaced); text is returned as is
    (a spider passes ``response.text`` when the site declares another charset, like JD's GBK)."""
    if isinstance(body, str):
        return body
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("utf-8", errors="replace").lstrip("\ufeff")


def load_json(body: bytes | str) -> Any:
    """The document in ``body``, or ``PageFormatError("invalid_json")``."""
    try:
        return json.loads(decode(body))
    except json.JSONDecodeError as exc:
        raise PageFormatError("invalid_json", str(exc)) from exc


def load_jsonp(body: bytes | str) -> Any:
    """The document inside a JSONP wrapper (plain JSON is accepted too)."""
    text = decode(body)
    match = _JSONP.match(text)
    try:
        return json.loads(match["json"] if match else text)
    except json.JSONDecodeError as exc:
        raise PageFormatError("invalid_json", str(exc)) from exc


def dig(node: Any, *path: str | int) -> Any:
    """``node[path...]``, or None wherever the shape differs."""
    for key in path:
        if isinstance(key, int):
            node = node[key] if isinstance(node, list) and -len(node) <= key < len(node) else None
        else:
            node = node.get(key) if isinstance(node, dict) else None
    return node


def text_of(value: Any) -> str | None:
    """A scalar as a stripped string; None for missing, empty or non-scalar values."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    return value.strip() or None if isinstance(value, str) else None
