"""Reading 知乎's comment API (docs/sources.md §9, ``/api/v4/comment_v5/<kind>s/<id>/
root_comment``) into ``RawReview`` items.

``{"data": [...], "paging": {"is_end": false, "next": "https://www.zhihu.com/api/v4/...
&offset=<opaque>&..."}}``. Only the ``offset`` of ``paging.next`` is used: the next page is
always built on the configured host, never by following the link. A refusal comes as
``{"error": {"code": N, "message": "..."}}`` (with HTTP 401/403: no or expired session, a
request signature the site wants, a captcha): ``PageFormatError("api_refused")``.
Comment: ``id``, ``type`` ("comment"), ``content`` (HTML), ``created_time`` (Unix seconds),
``like_count``, ``child_comment_count``, ``comment_tag[type=ip_info].text``, ``author``
(``name``, ``url_token``; or under ``author.member``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.items import RawReview
from crawlers.normalise import entry_time, strip_html, to_count
from crawlers.spiders.json_body import dig, load_json, text_of

PLATFORM = "zhihu"
_OFFSET = re.compile(r"^[0-9A-Za-z_\-]{1,100}$")


@dataclass(slots=True)
class CommentPage:
    comments: list[Any]
    next_offset: str | None   # None at the end


def parse_comments(body: bytes) -> CommentPage:
    document = load_json(body)
    if not isinstance(document, dict):
        raise PageFormatError("not_an_object", "the answer is not a JSON object")
    error = document.get("error")
    if error is not None:
        code = text_of(dig(error, "code")) or "?"
        message = (text_of(dig(error, "message")) or "")[:200]
        raise PageFormatError("api_refused", f"error {code[:20]} {message}".strip())
    comments = document.get("data")
    if not isinstance(comments, list):
        raise PageFormatError("no_comments", "data is not a list")
    paging = document.get("paging")
    offset = None
    if dig(paging, "is_end") is not True:
        offset = next_offset(text_of(dig(paging, "next")))
    return CommentPage(comments, offset)


def next_offset(link: str | None) -> str | None:
    """The ``offset`` parameter of a next-page link, if it is a plain token."""
    if not link:
        return None
    values = parse_qs(urlsplit(link).query).get("offset") or [""]
    return values[0] if _OFFSET.match(values[0]) else None


def to_raw_review(comment: Any, source: str, content_url: str) -> RawReview | None:
    if not isinstance(comment, dict):
        raise EntryFormatError("not_an_object", f"comment is a {type(comment).__name__}")
    if comment.get("type") not in (None, "comment"):
        return None  # folded-comment markers and the like
    native_id = text_of(comment.get("id"))
    if native_id is None or not native_id.isdigit():
        raise EntryFormatError("missing_id", "comment without a numeric id")
    text = strip_html(text_of(comment.get("content")))
    if not text:
        raise EntryFormatError("missing_content", f"comment {native_id} without text")
    published_at = entry_time(comment.get("created_time"), f"comment {native_id}")
    author = dig(comment, "author")
    if isinstance(author, dict) and not author.get("id") and isinstance(author.get("member"),
                                                                         dict):
        author = author["member"]
    extra: dict[str, Any] = {}
    for tag in comment.get("comment_tag") or []:
        if dig(tag, "type") == "ip_info" and text_of(dig(tag, "text")):
            extra["location"] = text_of(dig(tag, "text")).removeprefix("IP 属地").strip()
    if text_of(dig(author, "url_token")):
        extra["author_id"] = text_of(dig(author, "url_token"))
    return RawReview(source=source, platform=PLATFORM, native_id=native_id, text=text,
                     published_at=published_at, author=text_of(dig(author, "name")),
                     likes=to_count(comment.get("like_count")),
                     replies=to_count(comment.get("child_comment_count")),
                     url=content_url, extra=extra)
