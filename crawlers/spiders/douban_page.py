"""Reading a Douban short-comments page (docs/sources.md §3) into ``RawReview`` items.

Each ``div.comment-item[data-cid]`` holds ``span.votes`` (useful count), ``span.comment-info > a``
(nickname; user link), ``span.allstarNN.rating`` (stars = NN/10; books: ``user-stars allstarNN
rating``; absent when unrated), ``span.comment-time[title]`` (Beijing time, no zone; date only
on old pages) and ``p.comment-content > span.short`` (old pages: text directly in the ``<p>``).
The next page is ``#paginator a.next``. A page with a login wall or no comment list at all
raises ``PageFormatError``; a page with the list but no item is an empty page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from parsel import Selector

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.items import RawReview
from crawlers.normalise import entry_time, strip_html, to_count, to_rating
from crawlers.spiders.json_body import decode

PLATFORM = "douban"
_STARS = re.compile(r"allstar(\d{1,2})")


@dataclass(slots=True)
class CommentsPage:
    items: list[Selector]
    next_href: str | None


def parse_page(body: bytes) -> CommentsPage:
    page = Selector(text=decode(body))
    items = page.css("div.comment-item[data-cid]")
    if not items and not page.css("#comments, .mod-bd, #paginator"):
        title = " ".join(page.css("title::text").get("").split()) or "no title"
        raise PageFormatError("no_comment_list",
                              f"no comment list on the page (title: {title}; login wall?)")
    return CommentsPage(list(items), page.css("#paginator a.next::attr(href)").get())


def to_raw_review(item: Selector, source: str, subject_url: str) -> RawReview:
    native_id = item.attrib.get("data-cid", "").strip()
    if not native_id:
        raise EntryFormatError("missing_id", "comment-item without data-cid")
    content = item.css("p.comment-content span.short").get() or item.css(
        "p.comment-content").get()
    text = strip_html(content)
    if not text:
        raise EntryFormatError("missing_content", f"comment {native_id} without text")
    info = item.css("span.comment-info")
    written = (info.css("span.comment-time::attr(title)").get()
               or info.css("span.comment-time::text").get() or "").strip()
    published_at = entry_time(written, f"comment {native_id}")
    stars = _STARS.search(" ".join(info.css("span.rating::attr(class)").getall()))
    extra: dict[str, Any] = {}
    profile = info.css("a::attr(href)").get()
    if profile:
        extra["author_url"] = profile
    return RawReview(source=source, platform=PLATFORM, native_id=native_id, text=text,
                     published_at=published_at,
                     author=(info.css("a::text").get() or "").strip() or None,
                     rating=to_rating(stars[1], scale=50) if stars else None,
                     likes=to_count(item.css("span.votes::text").get()),
                     url=f"{subject_url}comments?cid={native_id}", extra=extra)
