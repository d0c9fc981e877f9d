"""Text hygiene shared by the validate pipeline and the importers.

Review text is kept as written, with three exceptions:
- a lone UTF-16 surrogate (``\\ud800``, which JSON can spell but UTF-8 cannot encode) becomes
  U+FFFD, in every field and in ``extra``, so one such character cannot fail a row or a batch;
- control characters are removed (``\\n`` and ``\\t`` are kept; ``\\r\\n`` becomes ``\\n``), because
  they break terminals, logs and exports and never carry meaning in a review;
- text longer than ``MAX_TEXT_CHARS`` (20,000 characters; the App Store caps reviews at about
  6,000) is cut at that limit and ``extra["text_truncated_from"]`` records the original length,
  so one pathological review cannot blow up segmentation, the search index or the live feed.

HTML is *not* interpreted or stripped: a review is plain text (``<3`` and ``a<b`` are common),
and the web layer escapes it on output.
"""
from __future__ import annotations

import re
from typing import Any

MAX_TEXT_CHARS = 20_000
REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")

# Unicode category Cc is exactly U+0000–U+001F and U+007F–U+009F; tab and newline stay.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings (dict keys and values, list items,
    nested) replaced by U+FFFD; anything else unchanged."""
    if isinstance(value, str):
        return _SURROGATE.sub(REPLACEMENT, value)
    if isinstance(value, dict):
        return {clean_surrogates(k): clean_surrogates(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(clean_surrogates(v) for v in value)
    return value


def strip_controls(value: str) -> str:
    """Remove control characters, normalising line breaks to ``\\n``; lone surrogates
    become U+FFFD."""
    return _CONTROL.sub("", clean_surrogates(value).replace("\r\n", "\n").replace("\r", "\n"))


def clean_text(value: str, limit: int = MAX_TEXT_CHARS) -> tuple[str, int | None]:
    """Return ``(text, original_length)`` where ``original_length`` is None unless the text
    had to be cut at ``limit`` characters. Surrounding whitespace is trimmed."""
    text = strip_controls(value).strip()
    if len(text) <= limit:
        return text, None
    return text[:limit], len(text)


def clean_field(value: str | None) -> str | None:
    """A short field (author, title): controls removed, whitespace trimmed, "" becomes None."""
    if value is None:
        return None
    cleaned = " ".join(strip_controls(value).split())
    return cleaned or None
