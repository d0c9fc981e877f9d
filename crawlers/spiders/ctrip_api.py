"""Reading Ctrip's attraction-comment API (docs/sources.md §6, ``getCommentCollapseList``) into
``RawReview`` items: ``result.items[]`` with ``publishTime`` as ``/Date(ms+0800)/`` and
``score`` on 0–5; ``result.totalCount`` gives the page count."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.items import RawReview
from crawlers.normalise import entry_time, strip_html, to_count, to_rating
from crawlers.spiders.json_body import dig, load_json, text_of

PLATFORM = "ctrip"


@dataclass(slots=True)
class CtripCommentPage:
    items: list[Any]
    total: int | None


def parse_comments(body: bytes) -> CtripCommentPage:
    document = load_json(body)
    result = dig(document, "result")
    if not isinstance(result, dict):
        status = dig(document, "ResponseStatus", "Ack") or "no result object"
        raise PageFormatError("no_result", f"the answer has no result ({status})")
    items = result.get("items") or []
    if not isinstance(items, list):
        raise PageFormatError("bad_items", f"result.items is a {type(items).__name__}")
    total = result.get("totalCount")
    return CtripCommentPage(items, total if isinstance(total, int) else None)


def to_raw_review(item: Any, source: str, poi_id: str) -> RawReview:
    if not isinstance(item, dict):
        raise EntryFormatError("not_an_object", f"item is a {type(item).__name__}")
    native_id = text_of(item.get("commentId"))
    if native_id is None:
        raise EntryFormatError("missing_id", "comment without commentId")
    text = strip_html(text_of(item.get("content")))
    if not text:
        raise EntryFormatError("missing_content", f"comment {native_id} without content")
    published_at = entry_time(item.get("publishTime"), f"comment {native_id}")
    extra = {"location": text_of(item.get("ipLocatedName"))} if item.get("ipLocatedName") else {}
    return RawReview(source=source, platform=PLATFORM, native_id=native_id, text=text,
                     published_at=published_at, author=text_of(dig(item, "userInfo", "userNick")),
                     rating=to_rating(item.get("score")), likes=to_count(item.get("usefulCount")),
                     replies=to_count(item.get("replyCount")),
                     url=f"https://you.ctrip.com/sight/{poi_id}.html", extra=extra)
