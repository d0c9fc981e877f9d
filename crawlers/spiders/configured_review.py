"""Building a ``RawReview`` from the field values a configured source (``html``, ``jsonapi``)
extracted: text HTML-stripped (emoticon alt text kept), time read with the source's
``time_format`` and ``timezone``, rating brought from ``rating_scale`` to 0–5 (the first number
in the value, so "4.5分" and "40" both work), link made absolute against the page URL.

A missing time gives the crawl time, marked ``published_at_estimated``; a time that is present
but unreadable drops the entry (``EntryFormatError("bad_time")``) rather than inventing one.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Mapping
from urllib.parse import urljoin

from crawlers.exceptions import EntryFormatError
from crawlers.items import RawReview
from crawlers.normalise import entry_time, strip_html, to_count, to_rating

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _scalar(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def build_review(values: Mapping[str, Any], source: Any, platform: str, page_url: str,
                 crawl_time: datetime) -> RawReview:
    native_id = _scalar(values.get("id"))
    text = strip_html(_scalar(values.get("text")))
    if not text:
        raise EntryFormatError("missing_content", f"entry {native_id or '?'} has no text")
    extra: dict[str, Any] = {}
    written = values.get("time")
    if _scalar(written) is None:
        published_at, extra["published_at_estimated"] = crawl_time, True
    else:
        value = written if isinstance(written, (int, float)) else _scalar(written)
        published_at = entry_time(value, f"entry {native_id or '?'}", source.time_format,
                                  source.timezone)
    rating = None
    rating_text = _scalar(values.get("rating"))
    if rating_text is not None:
        number = _NUMBER.search(rating_text)
        rating = to_rating(number[0], source.rating_scale) if number else None
        if rating is None:
            extra["rating_raw"] = rating_text
    link = _scalar(values.get("link"))
    return RawReview(source=source.name, platform=platform, native_id=native_id, text=text,
                     published_at=published_at, title=strip_html(_scalar(values.get("title")))
                     or None, author=_scalar(values.get("author")), rating=rating,
                     likes=to_count(_scalar(values.get("likes"))),
                     replies=to_count(_scalar(values.get("replies"))),
                     url=urljoin(page_url, link) if link else None, extra=extra)
