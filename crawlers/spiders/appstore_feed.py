"""Reading the App Store customer-reviews JSON feed (docs/sources.md §1) into ``RawReview`` items.

Every field is treated as optional. The traps handled here: ``feed.entry`` as a single object,
an app-metadata entry first (it has ``im:name``/``im:image`` and no author), ``feed.link`` as an
object, a missing ``updated`` (crawl time is used and ``extra["published_at_estimated"]`` set),
a missing ``im:rating`` (the review is kept with rating None), and an empty feed (no ``entry``).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.items import RawReview
from crawlers.normalise import to_count
from crawlers.spiders.json_body import dig, text_of

PLATFORM = "appstore"
_PAGE = re.compile(r"/page=(\d+)(?:/|$)")


@dataclass(frozen=True, slots=True)
class FeedPage:
    entries: list[Any]      # raw entries, metadata entry included; [] for an empty feed
    last_page: int | None   # from the rel=last link, when present and readable


def parse_feed(body: bytes) -> FeedPage:
    """Return the page's entries and page count, or raise ``PageFormatError``."""
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise PageFormatError("invalid_encoding", str(exc)) from exc
    except json.JSONDecodeError as exc:
        raise PageFormatError("invalid_json", str(exc)) from exc
    feed = document.get("feed") if isinstance(document, dict) else None
    if not isinstance(feed, dict):
        raise PageFormatError("no_feed", "the document has no feed object")
    entries = feed.get("entry", [])
    if isinstance(entries, dict):  # a feed with exactly one entry
        entries = [entries]
    if not isinstance(entries, list):
        raise PageFormatError("bad_entry_list", f"feed.entry is a {type(entries).__name__}")
    return FeedPage(entries, _last_page(feed.get("link")))


def _last_page(links: Any) -> int | None:
    for link in links if isinstance(links, list) else [links]:
        attributes = link.get("attributes") if isinstance(link, dict) else None
        if isinstance(attributes, dict) and attributes.get("rel") == "last":
            # Only the path counts: real hrefs carry ?urlDesc=/customerreviews/page=1/...
            match = _PAGE.search(urlsplit(str(attributes.get("href", ""))).path)
            return int(match[1]) if match else None
    return None


def is_app_metadata(entry: Any) -> bool:
    return isinstance(entry, dict) and "author" not in entry and (
        "im:name" in entry or "im:image" in entry)


def label(node: Any, *path: str) -> str | None:
    """``node[path...]["label"]`` as a stripped string, or None wherever the shape differs."""
    return text_of(dig(node, *path, "label"))


def to_raw_review(entry: Any, source: str, crawl_time: datetime) -> RawReview:
    """Turn one review entry into a ``RawReview`` or raise ``EntryFormatError``."""
    if not isinstance(entry, dict):
        raise EntryFormatError("not_an_object", f"entry is a {type(entry).__name__}")
    if "author" not in entry and "content" not in entry:
        raise EntryFormatError("not_a_review", "entry has neither author nor content")
    native_id, text = label(entry, "id"), label(entry, "content")
    if native_id is None:
        raise EntryFormatError("missing_id", "review entry without id.label")
    if text is None:
        raise EntryFormatError("missing_content", f"review {native_id} without content.label")
    extra: dict[str, Any] = {}
    published_at = _published_at(label(entry, "updated"), extra) or crawl_time
    if "published_at_raw" in extra or label(entry, "updated") is None:
        extra["published_at_estimated"] = True
    for key, field in (("app_version", "im:version"), ("author_uri", ("author", "uri"))):
        value = label(entry, *((field,) if isinstance(field, str) else field))
        if value is not None:
            extra[key] = value
    extra["vote_count"] = to_count(label(entry, "im:voteCount"))
    return RawReview(
        source=source, platform=PLATFORM, native_id=native_id, text=text,
        published_at=published_at, title=label(entry, "title"),
        author=label(entry, "author", "name"), rating=_rating(label(entry, "im:rating"), extra),
        likes=to_count(label(entry, "im:voteSum")), url=_href(entry.get("link")), extra=extra)


def _published_at(value: str | None, extra: dict) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:  # a time without offset is as good as none
        extra["published_at_raw"] = value
        return None
    return parsed


def _rating(value: str | None, extra: dict) -> float | None:
    try:
        rating = float(value) if value is not None else None
    except ValueError:
        rating = None
    if rating is not None and 0 <= rating <= 5:
        return rating
    if value is not None:
        extra["rating_raw"] = value
    return None


def _href(link: Any) -> str | None:
    for item in link if isinstance(link, list) else [link]:
        attributes = item.get("attributes") if isinstance(item, dict) else None
        if isinstance(attributes, dict) and isinstance(attributes.get("href"), str):
            return attributes["href"]
    return None
