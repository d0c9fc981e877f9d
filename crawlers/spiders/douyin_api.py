"""Reading 抖音's video-comment API (docs/sources.md §11, ``/aweme/v1/web/comment/list/``)
into ``RawReview`` items.

``{"status_code": 0, "comments": [...], "cursor": 20, "has_more": 1, "total": N}``
(``comments`` is ``null`` on a video without comments). A refusal: an empty body (or the
text ``blocked``) with HTTP 200, which is how the site answers a request without its
``a_bogus`` signature or without a logged-in session, or a non-zero ``status_code`` with
``status_msg``: ``PageFormatError("api_refused")``. The next page's cursor is read as a whole
number that must move forward (a cursor that stays or goes back ends the list).
Comment: ``cid`` (digits), ``aweme_id`` (the video: a comment of another video is dropped),
``text``, ``create_time`` (Unix seconds), ``digg_count``, ``reply_comment_total``,
``ip_label`` ("广东"), ``user`` (``nickname``, ``sec_uid``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.items import RawReview
from crawlers.normalise import entry_time, to_count
from crawlers.spiders.json_body import dig, load_json, text_of

PLATFORM = "douyin"
VIDEO_URL = "https://www.douyin.com/video/{aweme_id}"
MAX_CURSOR = 10_000_000
_ID = re.compile(r"^\d{1,25}$")
SIGNATURE_HINT = ("an empty answer: the site wants the request signature a_bogus (computed "
                  "by an obfuscated bytecode script, not implemented) or a logged-in session "
                  "(docs/sources.md §11)")


@dataclass(slots=True)
class CommentPage:
    comments: list[Any]
    cursor: int | None   # the next page's cursor; None at the end
    end_reason: str = "last_page"  # why there is no next page


def parse_comments(body: bytes, cursor: int = 0) -> CommentPage:
    if body.strip() in (b"", b"blocked"):
        raise PageFormatError("api_refused", SIGNATURE_HINT)
    document = load_json(body)
    if not isinstance(document, dict):
        raise PageFormatError("not_an_object", "the answer is not a JSON object")
    code = text_of(document.get("status_code"))
    if code not in (None, "0"):
        message = (text_of(document.get("status_msg")) or "")[:200]
        raise PageFormatError("api_refused", f"status_code {code[:20]} {message}".strip())
    comments = document.get("comments")
    if comments is None:
        comments = []
    if not isinstance(comments, list):
        raise PageFormatError("no_comments", "comments is not a list")
    if document.get("has_more") not in (1, True):
        return CommentPage(comments, None)
    following = document.get("cursor")
    if not (isinstance(following, int) and not isinstance(following, bool)
            and cursor < following <= MAX_CURSOR):
        return CommentPage(comments, None, "cursor_not_advancing")
    return CommentPage(comments, following)


def to_raw_review(comment: Any, source: str, aweme_id: str) -> RawReview:
    if not isinstance(comment, dict):
        raise EntryFormatError("not_an_object", f"comment is a {type(comment).__name__}")
    native_id = text_of(comment.get("cid"))
    if native_id is None or not _ID.match(native_id):
        raise EntryFormatError("missing_id", "comment without a numeric cid")
    video = text_of(comment.get("aweme_id"))
    if video is not None and video != aweme_id:
        raise EntryFormatError("other_video", f"comment {native_id} is on video {video[:25]}")
    text = text_of(comment.get("text")) or ""  # plain text: kept as written
    if not text:
        raise EntryFormatError("missing_content", f"comment {native_id} without text")
    published_at = entry_time(comment.get("create_time"), f"comment {native_id}")
    user = dig(comment, "user")
    extra: dict[str, Any] = {}
    for key, value in (("location", text_of(comment.get("ip_label"))),
                       ("author_id", text_of(dig(user, "sec_uid")))):
        if value:
            extra[key] = value[:100]
    return RawReview(source=source, platform=PLATFORM, native_id=native_id, text=text,
                     published_at=published_at, author=text_of(dig(user, "nickname")),
                     likes=to_count(comment.get("digg_count")),
                     replies=to_count(comment.get("reply_comment_total")),
                     url=VIDEO_URL.format(aweme_id=aweme_id), extra=extra)
