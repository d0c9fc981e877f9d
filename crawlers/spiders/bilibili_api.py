"""Reading bilibili's comment APIs (docs/sources.md §2) into ``RawReview`` items.

Both APIs answer ``{"code": 0, "message": "0", "data": {...}}`` with ``data.replies[]``. The
page-number API (``/x/v2/reply``) gives ``data.page{num,size,count}``; the cursor API
(``/x/v2/reply/wbi/main``) gives ``data.cursor{is_end, pagination_reply.next_offset}``. A
non-zero ``code`` arrives with HTTP 200 (``-412`` slow down, ``-352`` risk control, ``-400``
page too deep) and raises ``PageFormatError("api_error")``; ``data.replies`` may be null.
``data.hots`` (hot comments repeated on page 1) is ignored: they reappear in time order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.items import RawReview
from crawlers.normalise import entry_time, strip_html, to_count
from crawlers.spiders.json_body import dig, load_json, text_of

PLATFORM = "bilibili"
SLOW_DOWN_CODES = {-412, -352, -509}


@dataclass(slots=True)
class ReplyPage:
    replies: list[Any]
    page_count: int | None = None     # page-number API: pages in total, from data.page
    next_offset: str | None = None    # cursor API: next offset; None at the end
    is_end: bool = False


def api_code(document: Any) -> int | None:
    code = dig(document, "code")
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def parse_replies(body: bytes) -> ReplyPage:
    """The page's replies and paging facts, or ``PageFormatError``."""
    document = load_json(body)
    if not isinstance(document, dict) or "code" not in document:
        raise PageFormatError("no_envelope", "the answer has no code/data envelope")
    code = api_code(document)
    if code != 0:
        raise PageFormatError("api_error", f"code {document.get('code')}: "
                              f"{text_of(document.get('message')) or 'no message'}")
    data = document.get("data")
    if not isinstance(data, dict):
        raise PageFormatError("no_data", "code 0 but no data object")
    replies = data.get("replies") or []
    if not isinstance(replies, list):
        raise PageFormatError("bad_replies", f"data.replies is a {type(replies).__name__}")
    page = ReplyPage(replies)
    size, count = to_count(dig(data, "page", "size")), to_count(dig(data, "page", "count"))
    if size and isinstance(dig(data, "page"), dict):
        page.page_count = -(-count // size)
    cursor = data.get("cursor")
    if isinstance(cursor, dict):
        page.is_end = cursor.get("is_end") is True
        page.next_offset = text_of(dig(cursor, "pagination_reply", "next_offset"))
    return page


def to_raw_review(reply: Any, source: str, video_url: str) -> RawReview:
    """One reply as a ``RawReview``, or ``EntryFormatError``."""
    if not isinstance(reply, dict):
        raise EntryFormatError("not_an_object", f"reply is a {type(reply).__name__}")
    native_id = text_of(reply.get("rpid_str")) or text_of(reply.get("rpid"))
    if native_id is None:
        raise EntryFormatError("missing_id", "reply without rpid")
    text = strip_html(text_of(dig(reply, "content", "message")))
    if not text:
        raise EntryFormatError("missing_content", f"reply {native_id} without content.message")
    published_at = entry_time(reply.get("ctime"), f"reply {native_id}")
    extra: dict[str, Any] = {}
    location = text_of(dig(reply, "reply_control", "location"))
    if location:
        extra["location"] = location.removeprefix("IP属地：")
    mid = text_of(dig(reply, "member", "mid")) or text_of(reply.get("mid"))
    if mid:
        extra["author_id"] = mid
    return RawReview(source=source, platform=PLATFORM, native_id=native_id, text=text,
                     published_at=published_at, author=text_of(dig(reply, "member", "uname")),
                     likes=to_count(reply.get("like")), replies=to_count(reply.get("rcount")),
                     url=f"{video_url}#reply{native_id}", extra=extra)
