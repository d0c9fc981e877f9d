"""Reading a 大众点评 shop's review page (docs/sources.md §12, ``/shop/<id>/review_all/p<n>``)
into ``RawReview`` items.

Each review is a ``div.reviews-items > ul > li`` holding ``div.main-review``: ``div.dper-info
a.name`` (nickname; ``/member/<id>`` link), ``div.review-rank span.sml-rank-stars`` with class
``sml-strNN`` (stars = NN/10; absent when unrated), ``span.score span.item`` (``口味：超棒``,
``环境：好`` ...), the text in ``div.review-words`` (the whole review, hidden by the page's
style) or ``div.review-truncated-words``, ``div.misc-info span.time`` (Beijing time, no zone,
sometimes followed by ``更新于…``) and ``span.actions`` whose links carry the review's number
(``data-id``) and counts (``赞(12)``, ``回应(3)``). The next page exists when
``div.reviews-pages a.NextPage`` does (its link is not followed: the next page is built from
the page number).

The site hides characters of the text behind glyph sprites: ``<svgmtsi class="…">`` elements
(drawn from an SVG through the page's CSS) and code points of the private use area (drawn by
a per-page web font). The SVG sprites are decoded when the spider could read the page's glyph
stylesheet and SVG (``glyphs``, see ``crawlers.spiders.dianping_glyphs``; counted in
``extra.decoded_characters``); the web font is not. Each character left hidden becomes ``□``
and is counted in ``extra.hidden_characters``; a review with more than ``MAX_HIDDEN_SHARE`` of
its characters hidden is dropped as ``obfuscated_text`` (not worth analysing). The page's
glyph stylesheets (links whose address has ``svgtextcss``) are listed in
``ReviewsPage.stylesheets`` for the spider to read. A verification page (验证中心, ``div#log``)
or a login page raises ``PageFormatError("api_refused")``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from parsel import Selector

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.items import RawReview
from crawlers.normalise import entry_time, to_rating
from crawlers.spiders.dianping_glyphs import GlyphMap
from crawlers.spiders.json_body import decode

PLATFORM = "dianping"
REVIEW_URL = "https://www.dianping.com/review/{review_id}"
HIDDEN = "□"
MAX_HIDDEN_SHARE = 0.3
MAX_SCORES = 8
MAX_STYLESHEETS = 2
_STARS = re.compile(r"\bsml-str(\d{1,2})\b")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}(?::\d{2})?)?")
_COUNT = re.compile(r"\((\d{1,12})\)")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_ID = re.compile(r"^\d{1,20}$")
_FOLDS = ("收起评价", "展开评价")


@dataclass(slots=True)
class ReviewsPage:
    items: list[Selector]
    has_next: bool
    stylesheets: list[str] = field(default_factory=list)  # glyph stylesheets, as linked


def parse_page(body: bytes | str) -> ReviewsPage:
    page = Selector(text=decode(body))
    title = " ".join(page.css("title::text").get("").split())[:80]
    if page.css("div#log") or "验证" in title:
        raise PageFormatError("api_refused", f"a verification page (title: {title or 'none'}): "
                                             "the site asks for a captcha; not solved here")
    items = page.css("div.reviews-items > ul > li")
    if not items and not page.css("div.reviews-items, div.reviews-wrapper"):
        if "登录" in title or page.css("form[action*='login'], div.login-box"):
            raise PageFormatError("api_refused", f"a login page (title: {title}): the session "
                                                 "is missing or expired")
        raise PageFormatError("no_review_list",
                              f"no review list on the page (title: {title or 'none'})")
    sheets = [href for href in page.css("link[rel~=stylesheet]::attr(href)").getall()
              if "svgtextcss" in href][:MAX_STYLESHEETS]
    return ReviewsPage(list(items), bool(page.css("div.reviews-pages a.NextPage")), sheets)


def review_text(review: Selector, glyphs: GlyphMap | None = None) -> tuple[str, int, int]:
    """The review's text with each hidden character as ``□``, how many stayed hidden and how
    many were decoded from the SVG sprites (``glyphs``)."""
    words = review.css("div.review-words") or review.css("div.review-truncated-words")
    if not words:
        return "", 0, 0
    parts: list[str] = []
    decoded = 0
    for node in words[0].xpath(".//text()[not(ancestor::script) and not(ancestor::style) and "
                               "not(ancestor::svgmtsi)] | .//svgmtsi"):
        if isinstance(node.root, str):
            parts.append(node.root)
            continue
        character = None
        if glyphs is not None:
            for name in (node.root.get("class") or "").split()[:4]:
                character = character or glyphs.char(name)
        decoded += character is not None
        parts.append(character or HIDDEN)
    text = "".join(parts)
    for fold in _FOLDS:
        text = text.replace(fold, "")
    text = _PRIVATE_USE.sub(HIDDEN, text)
    text = "\n".join(" ".join(line.split()) for line in text.splitlines())
    text = re.sub(r"\n{2,}", "\n", text).strip()
    return text, text.count(HIDDEN), decoded


def to_raw_review(item: Selector, source: str, glyphs: GlyphMap | None = None) -> RawReview:
    review = item.css("div.main-review")
    if not review:
        raise EntryFormatError("not_a_review", "list item without div.main-review")
    review = review[0]
    native_id = next((i for i in review.css("span.actions a::attr(data-id)").getall()
                      if _ID.match(i)), None)
    if native_id is None:
        raise EntryFormatError("missing_id", "review without a numeric data-id")
    text, hidden, decoded = review_text(review, glyphs)
    if not text.replace(HIDDEN, "").strip():
        raise EntryFormatError("missing_content", f"review {native_id} without text")
    if hidden > MAX_HIDDEN_SHARE * len(text):
        raise EntryFormatError("obfuscated_text", f"review {native_id}: {hidden} of {len(text)}"
                               " characters hidden by the site's glyph sprites (not decoded)")
    shown = _visible(review.css("div.misc-info span.time"))[:60]
    when = _TIME.search(shown)
    published_at = entry_time(when[0] if when else shown, f"review {native_id}")
    stars = _STARS.search(" ".join(review.css("div.review-rank span::attr(class)").getall()))
    extra: dict[str, Any] = {}
    if hidden:
        extra["hidden_characters"] = hidden
    if decoded:
        extra["decoded_characters"] = decoded
    scores = {}
    for item_score in review.css("div.review-rank span.score span.item")[:MAX_SCORES]:
        name, _, value = _visible([item_score]).replace(":", "：").partition("：")
        if name and value:
            scores[name[:10]] = value[:20]
    if scores:
        extra["scores"] = scores
    member = review.css("div.dper-info a.name::attr(href)").re_first(r"/member/(\d{1,20})")
    if member:
        extra["author_id"] = member
    actions = " ".join(review.css("span.actions ::text").getall())
    return RawReview(source=source, platform=PLATFORM, native_id=native_id, text=text,
                     published_at=published_at,
                     author=_visible(review.css("div.dper-info a.name")) or None,
                     rating=to_rating(int(stars[1]) / 10) if stars else None,
                     likes=_count_after(actions, "赞"), replies=_count_after(actions, "回应"),
                     url=REVIEW_URL.format(review_id=native_id), extra=extra)


def _visible(found: list[Selector]) -> str:
    """The text a reader sees in the first of ``found`` (no script or style), whitespace
    folded; "" when nothing was found."""
    if not found:
        return ""
    words = found[0].xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")
    return " ".join("".join(words.getall()).split())


def _count_after(actions: str, label: str) -> int:
    """The number in ``label(N)`` within the actions' text, 0 when absent."""
    at = actions.find(label)
    match = _COUNT.match(actions[at + len(label):].lstrip()) if at >= 0 else None
    return int(match[1]) if match else 0
