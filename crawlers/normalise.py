"""Reading the fields sites send into review fields: HTML to plain text (emoticon images kept
as their alt text, e.g. ``[怒]``), ratings to the 0–5 scale, times to timezone-aware datetimes.

Time formats understood by ``parse_time`` (a time without a zone is in ``tz``, Beijing time by
default, since Chinese sites print local time without an offset):
epoch seconds or milliseconds (number or digit string), ``/Date(1690000000000+0800)/``,
RFC 3339 / ISO 8601, RFC 822 (``Sat, 02 Mar 2024 10:20:30 +0800``), Weibo's
``Sat Mar 02 10:20:30 +0800 2024``, ``YYYY-MM-DD HH:MM[:SS]``, ``YYYY-MM-DD``, and any explicit
``strptime`` format. Anything else raises ``ValueError`` naming the value.
"""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import lxml.html

from crawlers.exceptions import EntryFormatError

BEIJING = ZoneInfo("Asia/Shanghai")
_EPOCH = re.compile(r"^\d{9,13}(?:\.\d+)?$")
_DOTNET_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_LOCAL_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S",
                  "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
                  "%Y年%m月%d日")
_WEIBO_FORMAT = "%a %b %d %H:%M:%S %z %Y"
_BLOCK_TAGS = {"br", "p", "div", "li"}
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")  # a whole tag, so "a<b" is text


def strip_html(markup: str | None) -> str:
    """Plain text of an HTML fragment: tags removed, entities decoded, ``<img alt="[怒]">``
    replaced by its alt text, ``<br>`` and block ends as line breaks. Text without any tag is
    only entity-decoded, so ``a<b`` written by a reviewer survives."""
    if not markup:
        return ""
    if not _TAG.search(markup):
        return html.unescape(markup).strip()
    root = lxml.html.fragment_fromstring(markup, create_parent="div")
    for image in root.iter("img"):
        alt = image.get("alt") or ""
        image.tail = alt + (image.tail or "")
    for element in root.iter():
        if element.tag in _BLOCK_TAGS and element is not root:
            element.tail = "\n" + (element.tail or "")
    text = root.text_content()
    return "\n".join(line.strip() for line in text.splitlines()).strip()


def to_rating(value: object, scale: float = 5.0) -> float | None:
    """A rating on ``0..scale`` brought to 0–5 (rounded to 2 places); None when absent or not
    a number within the scale."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    if not 0 <= number <= scale or scale <= 0:
        return None
    return round(number * 5.0 / scale, 2)


def to_count(value: object) -> int:
    """A non-negative whole count (likes, replies); 0 when absent or unreadable."""
    try:
        return max(0, int(str(value).strip())) if value is not None else 0
    except ValueError:
        return 0


_SHOWN_COUNT = re.compile(r"^\s*(\d{1,12}(?:\.\d{1,4})?)\s*(万|w|亿)?\+?\s*$", re.IGNORECASE)
_SHOWN_UNITS = {None: 1, "万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000}


def shown_count(value: object) -> int:
    """A count as a page shows it: ``1234``, ``"1.2万"``, ``"3亿"``, ``"10w+"``; 0 when absent
    or unreadable."""
    if isinstance(value, int) and not isinstance(value, bool):
        return max(0, value)
    match = _SHOWN_COUNT.match(str(value)) if value is not None else None
    return int(float(match[1]) * _SHOWN_UNITS[match[2]]) if match else 0


def parse_time(value: object, fmt: str | None = None, tz: tzinfo | str = BEIJING) -> datetime:
    """``value`` as a timezone-aware datetime; raise ``ValueError`` when it cannot be read."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _epoch(float(value))
    text = str(value or "").strip()
    if not text:
        raise ValueError("empty time")
    parsed: datetime | None = None
    if fmt:
        parsed = datetime.strptime(text, fmt)
    elif _EPOCH.match(text):
        return _epoch(float(text))
    elif match := _DOTNET_DATE.match(text):
        return _epoch(int(match[1]) / 1000)
    else:
        parsed = _known_formats(text)
    if parsed is None:
        raise ValueError(f"cannot read the time {text!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def entry_time(value: object, entry: str, fmt: str | None = None,
               tz: tzinfo | str = BEIJING) -> datetime:
    """``parse_time`` for one entry of a page: a time that cannot be read drops the entry, as
    ``EntryFormatError("bad_time", "<entry>: <why>")``."""
    try:
        return parse_time(value, fmt, tz)
    except ValueError as exc:
        raise EntryFormatError("bad_time", f"{entry}: {exc}") from exc


def _epoch(number: float) -> datetime:
    seconds = number / 1000 if number >= 1e11 else number  # 1e11 s is the year 5138
    return datetime.fromtimestamp(seconds, timezone.utc)


def _known_formats(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return datetime.strptime(text, _WEIBO_FORMAT)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)  # RFC 822; naive when the zone is -0000
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _LOCAL_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None
