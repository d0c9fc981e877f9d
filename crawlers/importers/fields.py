"""From an import row (column → value) to a ``RawReview``: which column holds which review field,
and how times and ratings written by people and export tools are read.

Columns are found through ``mapping`` (review field → column, from the source config or
``--map``) and otherwise through the usual names in ``DEFAULT_COLUMNS`` (case-insensitive).
Times without an offset are in the source's timezone; a row without a time gets the import time,
marked ``extra["published_at_estimated"]``. A value that cannot be read makes the row bad
(``RowError``); the rest of the file is still imported.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from crawlers import normalise
from crawlers.cleaning import clean_field, clean_text
from crawlers.items import RawReview

# The usual headers, in order of preference, including those of common Chinese exports
# (电商评价导出, 客服工单系统): a file with these needs no --map.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "评论", "内容", "评论内容", "评价内容", "评价", "review"),
    "id": ("id", "review_id", "评论id", "评价id", "工单号", "工单编号", "订单号", "订单编号"),
    "author": ("author", "nickname", "用户", "昵称", "用户名", "用户昵称", "买家昵称"),
    "rating": ("rating", "score", "评分", "星级", "评价星级"),
    "published_at": ("published_at", "time", "时间", "发布时间", "评价时间", "评论时间",
                     "创建时间", "date", "created_at"),
    "url": ("url", "link", "链接"),
    "title": ("title", "标题"),
    "likes": ("likes", "点赞", "点赞数"),
    "platform": ("platform", "平台"),
}
FIELDS = tuple(DEFAULT_COLUMNS)
_RATING = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:星|分|stars?)?\s*$", re.IGNORECASE)


class RowError(ValueError):
    """The row cannot become a review; the message says why."""


def resolve_columns(columns: Iterable[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """Review field → column present in ``columns``. Mapped columns win over the defaults."""
    by_lower = {c.strip().lower(): c for c in columns}
    resolved = {f: c for f, c in mapping.items() if c in by_lower.values()}
    for field, names in DEFAULT_COLUMNS.items():
        if field in resolved or field in mapping:
            continue
        for name in names:
            if name.lower() in by_lower:
                resolved[field] = by_lower[name.lower()]
                break
    return resolved


def parse_time(value: str, tz: ZoneInfo) -> datetime:
    """``crawlers.normalise.parse_time`` (epoch, ISO, Chinese and slashed dates...), with an
    unreadable time making the row bad."""
    try:
        return normalise.parse_time(value.strip(), tz=tz)
    except ValueError as exc:
        raise RowError(f"cannot read the time {value!r}") from exc


def parse_rating(value: str) -> float | None:
    if not value.strip():
        return None
    match = _RATING.match(value)
    if not match or float(match[1]) > 5:
        raise RowError(f"rating {value!r} is not a number from 0 to 5")
    return float(match[1])


def to_raw_review(data: Mapping[str, Any], columns: Mapping[str, str], source: str,
                  tz: ZoneInfo, now: datetime, max_text_chars: int) -> RawReview:
    """Build the raw review of one row, or raise ``RowError``."""
    def value(field: str) -> str:
        column = columns.get(field)
        raw = data.get(column) if column is not None else None
        return "" if raw is None else str(raw)

    text, original_length = clean_text(value("text"), max_text_chars)
    if not text:
        column = columns.get("text", "text")
        raise RowError(f"no review text (column {column!r} is empty or missing)")
    extra: dict[str, Any] = {}
    if original_length is not None:
        extra["text_truncated_from"] = original_length
    written_time = value("published_at").strip()
    if written_time:
        published_at = parse_time(written_time, tz)
    else:
        published_at, extra["published_at_estimated"] = now, True
    likes = value("likes").strip()
    if likes and not likes.isdigit():
        raise RowError(f"likes {likes!r} is not a whole number")
    return RawReview(
        source=source, platform=clean_field(value("platform")) or "file",
        native_id=clean_field(value("id")), text=text, published_at=published_at,
        title=clean_field(value("title")), author=clean_field(value("author")),
        rating=parse_rating(value("rating")), likes=int(likes or 0),
        url=clean_field(value("url")), extra=extra)
