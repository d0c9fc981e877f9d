"""Reading 小红书's note-comment API (docs/sources.md §10, ``/api/sns/web/v2/comment/page``)
into ``RawReview`` items.

``{"code": 0, "success": true, "msg": "成功", "data": {"comments": [...], "cursor": "...",
"has_more": true}}``. A refusal comes with ``success: false`` and a code and message, with
HTTP 200 (``-100`` 登录已过期 / 无登录信息, ``-104`` 没有权限访问, ``300011`` 账号异常,
``300012`` IP blocked, ``300017`` 访问链接异常, ``300031`` no ``xsec_token``, ``-510001`` 笔记
状态异常) or HTTP 406 (``{"code": -1, "success": false}``: the request signature ``X-s`` is
missing or rejected): ``PageFormatError("api_refused")`` with the code and message.
Comment: ``id`` (24 hex digits), ``note_id``, ``content`` (plain text, emoji as ``[笑哭R]``),
``create_time`` (epoch milliseconds), ``like_count`` and ``sub_comment_count`` (digit strings,
or as shown: ``"1.2万"``), ``ip_location``, ``user_info`` (``user_id``, ``nickname``),
``pictures`` (a comment may be pictures only: not a review, skipped).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.items import RawReview
from crawlers.normalise import entry_time, shown_count
from crawlers.spiders.json_body import dig, load_json, text_of

PLATFORM = "xhs"
NOTE_URL = "https://www.xiaohongshu.com/explore/{note_id}"
_ID = re.compile(r"^[0-9a-zA-Z]{1,64}$")
_CURSOR = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, sent URL-encoded
SIGNATURE_HINT = ("the site wants the request signature X-s/X-t, which is computed by an "
                  "obfuscated script and is not implemented (docs/sources.md §10)")


@dataclass(slots=True)
class CommentPage:
    comments: list[Any]
    cursor: str | None   # the next page's cursor; None at the end
    end_reason: str = "last_page"  # why there is no next page


def parse_comments(body: bytes, status: int = 200) -> CommentPage:
    if not body.strip() and status != 200:
        raise PageFormatError("api_refused", f"HTTP {status} with an empty answer")
    document = load_json(body)
    if not isinstance(document, dict):
        raise PageFormatError("not_an_object", "the answer is not a JSON object")
    code = text_of(document.get("code"))
    if document.get("success") is not True or code not in (None, "0"):
        message = (text_of(document.get("msg")) or "")[:200]
        hint = f" ({SIGNATURE_HINT})" if status == 406 or code == "-1" else ""
        raise PageFormatError("api_refused", f"code {(code or '?')[:20]} {message}".strip()
                              + hint)
    data = document.get("data")
    comments = dig(data, "comments")
    if comments is None and isinstance(data, dict):
        comments = []  # a note without comments
    if not isinstance(comments, list):
        raise PageFormatError("no_comments", "data.comments is not a list")
    if dig(data, "has_more") is not True:
        return CommentPage(comments, None)
    cursor = text_of(dig(data, "cursor"))
    if cursor is None or not _CURSOR.match(cursor):
        return CommentPage(comments, None, "unreadable_cursor")
    return CommentPage(comments, cursor)


def to_raw_review(comment: Any, source: str, note_url: str) -> RawReview | None:
    if not isinstance(comment, dict):
        raise EntryFormatError("not_an_object", f"comment is a {type(comment).__name__}")
    native_id = text_of(comment.get("id"))
    if native_id is None or not _ID.match(native_id):
        raise EntryFormatError("missing_id", "comment without a plain id")
    text = text_of(comment.get("content")) or ""  # plain text: kept as written
    if not text:
        if comment.get("pictures"):
            return None  # pictures only: nothing to read
        raise EntryFormatError("missing_content", f"comment {native_id} without text")
    published_at = entry_time(comment.get("create_time"), f"comment {native_id}")
    user = dig(comment, "user_info")
    extra: dict[str, Any] = {}
    for key, value in (("location", text_of(comment.get("ip_location"))),
                       ("author_id", text_of(dig(user, "user_id")))):
        if value:
            extra[key] = value[:100]
    return RawReview(source=source, platform=PLATFORM, native_id=native_id, text=text,
                     published_at=published_at, author=text_of(dig(user, "nickname")),
                     likes=shown_count(comment.get("like_count")),
                     replies=shown_count(comment.get("sub_comment_count")),
                     url=note_url, extra=extra)
