"""Reading Weibo's mobile comment API (docs/sources.md §5, ``/comments/hotflow``) into
``RawReview`` items.

``{"ok": 1, "data": {"data": [...], "max_id": M, "max_id_type": T}}``. ``ok: 0`` comes both on
failure (no visitor cookie, slow down) and past the end: ``parse_comments`` raises
``PageFormatError("api_refused")`` for it and the spider decides. ``max_id == 0`` ends the list.
Comment text is HTML: tags stripped, emoticon ``<img alt="[怒]">`` kept as ``[怒]``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.items import RawReview
from crawlers.normalise import entry_time, shown_count, strip_html, to_count
from crawlers.spiders.json_body import dig, load_json, text_of

PLATFORM = "weibo"


@dataclass(slots=True)
class WeiboCommentPage:
    comments: list[Any]
    max_id: str | None        # cursor of the next page; None at the end
    max_id_type: int = 0


def is_refusal(document: Any) -> bool:
    return isinstance(document, dict) and document.get("ok") in (0, "0", -100)


def parse_comments(body: bytes) -> WeiboCommentPage:
    document = load_json(body)
    if not isinstance(document, dict) or not document:
        raise PageFormatError("empty_answer", "an empty answer (visitor cookies missing?)")
    if is_refusal(document):
        raise PageFormatError("api_refused",
                              f"ok: {document.get('ok')} {text_of(document.get('msg')) or ''}")
    data = document.get("data")
    comments = dig(data, "data")
    if not isinstance(comments, list):
        raise PageFormatError("no_comments", "data.data is not a list")
    max_id = text_of(dig(data, "max_id"))
    return WeiboCommentPage(comments, None if max_id in (None, "0") else max_id,
                       to_count(dig(data, "max_id_type")))


def to_raw_review(comment: Any, source: str, post_url: str) -> RawReview:
    if not isinstance(comment, dict):
        raise EntryFormatError("not_an_object", f"comment is a {type(comment).__name__}")
    native_id = text_of(comment.get("idstr")) or text_of(comment.get("id"))
    if native_id is None:
        raise EntryFormatError("missing_id", "comment without id")
    text = strip_html(text_of(comment.get("text")))
    if not text:
        raise EntryFormatError("missing_content", f"comment {native_id} without text")
    published_at = entry_time(comment.get("created_at"), f"comment {native_id}")
    extra: dict[str, Any] = {}
    if text_of(comment.get("source")):
        extra["location"] = text_of(comment.get("source")).removeprefix("来自")
    if text_of(dig(comment, "user", "id")):
        extra["author_id"] = text_of(dig(comment, "user", "id"))
    return RawReview(source=source, platform=PLATFORM, native_id=native_id, text=text,
                     published_at=published_at,
                     author=text_of(dig(comment, "user", "screen_name")),
                     likes=to_count(comment.get("like_count")),
                     replies=to_count(comment.get("total_number")),
                     author_followers=_followers(comment.get("user")), url=post_url,
                     extra=extra)


def _followers(user: Any) -> int:
    """``followers_count`` is a number, or text like "1.2万" beside ``followers_count_str``."""
    return shown_count(dig(user, "followers_count")) or shown_count(
        dig(user, "followers_count_str"))
