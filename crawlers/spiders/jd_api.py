"""Reading JD.com's product-comment JSONP (docs/sources.md §4) into ``RawReview`` items.

The body is ``fetchJSON_comment98({...});``, served as GBK (the spider passes the decoded text).
An empty ``{}`` (cookies missing, the endpoint moved behind login) raises
``PageFormatError("refused")`` with a message saying so, since JD is best-effort.
``creationTime`` is Beijing time without a zone; ``score`` is 1–5; the follow-up review
(``afterUserComment``) is kept in ``extra["follow_up"]``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.items import RawReview
from crawlers.normalise import entry_time, strip_html, to_count, to_rating
from crawlers.spiders.json_body import dig, load_jsonp, text_of

PLATFORM = "jd"
REFUSED = ("JD answered {} (no comments object): the comment API refused this client "
           "(it needs cookies or a login now); JD sources are best-effort")


@dataclass(slots=True)
class JdCommentPage:
    comments: list[Any]
    max_page: int | None


def parse_comments(body: bytes | str) -> JdCommentPage:
    document = load_jsonp(body)
    if not isinstance(document, dict) or "comments" not in document:
        raise PageFormatError("refused", REFUSED)
    comments = document.get("comments") or []
    if not isinstance(comments, list):
        raise PageFormatError("bad_comments", f"comments is a {type(comments).__name__}")
    max_page = document.get("maxPage")
    return JdCommentPage(comments, max_page if isinstance(max_page, int) else None)


def to_raw_review(comment: Any, source: str, sku: str) -> RawReview:
    if not isinstance(comment, dict):
        raise EntryFormatError("not_an_object", f"comment is a {type(comment).__name__}")
    native_id = text_of(comment.get("id"))
    if native_id is None:
        raise EntryFormatError("missing_id", "comment without id")
    text = strip_html(text_of(comment.get("content")))
    if not text:
        raise EntryFormatError("missing_content", f"comment {native_id} without content")
    published_at = entry_time(comment.get("creationTime"), f"comment {native_id}")
    extra: dict[str, Any] = {}
    for key, field in (("product", "referenceName"), ("color", "productColor"),
                       ("size", "productSize")):
        if text_of(comment.get(field)):
            extra[key] = text_of(comment.get(field))
    follow_up = text_of(dig(comment, "afterUserComment", "hAfterUserComment", "content"))
    if follow_up:
        extra["follow_up"] = strip_html(follow_up)
    product = text_of(comment.get("referenceId")) or sku
    return RawReview(source=source, platform=PLATFORM, native_id=native_id, text=text,
                     published_at=published_at, author=text_of(comment.get("nickname")),
                     rating=to_rating(comment.get("score")),
                     likes=to_count(comment.get("usefulVoteCount")),
                     replies=to_count(comment.get("replyCount")),
                     url=f"https://item.jd.com/{product}.html", extra=extra)
