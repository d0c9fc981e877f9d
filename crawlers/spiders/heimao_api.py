"""Reading 黑猫投诉's company complaint list (docs/sources.md §9,
``/api/company/received_complaints``) into ``RawReview`` items, and signing its requests.

``{"result": {"status": {"code": 0, "msg": ...}, "data": {"pager": {"current": N,
"page_amount": M, ...}, "complaints": [{"main": {...}, "author": {...}}]}}}``. A non-zero
``status.code`` (signature rejected, slow down, company unknown) is a refusal:
``PageFormatError("api_refused")`` with the site's message. One complaint becomes one review:
``main.title`` as title, ``main.summary`` as text, ``main.cotitle`` (the company complained
about), ``main.appeal`` (the complainant's demands) and the status label in ``extra``; the
status is part of what the site says (``Review.fingerprint``), so a complaint that becomes
已完成 updates its stored review.

Signature (public, computed by the site's own page script): SHA-256 hex of the concatenation,
in sorted order, of ``ts`` (milliseconds), ``rs`` (16 random letters or digits), the page
script's constant salt, and the values of ``couid``, ``type``, ``page_size`` and ``page``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.items import RawReview
from crawlers.normalise import entry_time, strip_html, to_count
from crawlers.spiders.json_body import dig, load_json, text_of

PLATFORM = "heimao"
SIGNING_SALT = "$d6eb7ff91ee257475%"  # the constant in the site's page script
SITE_URL = "https://tousu.sina.com.cn"
# ``main.status`` codes as the site labels them; an unknown code is kept as ``状态<N>``
STATUS_LABELS = {1: "待分配", 2: "待处理", 3: "处理中", 4: "已回复", 5: "处理中", 6: "已完成",
                 7: "已完成"}
DONE = "已完成"


@dataclass(slots=True)
class ComplaintPage:
    complaints: list[Any]
    current: int
    page_amount: int   # pages in the list; 0 when the site does not say


def signature(ts: str, rs: str, values: list[str]) -> str:
    """The request signature over ``ts``, ``rs`` and the query ``values``."""
    parts = sorted([ts, rs, SIGNING_SALT, *values])
    return hashlib.sha256("".join(parts).encode("utf-8")).hexdigest()


def status_label(code: Any) -> str | None:
    text = text_of(code)
    if text is None:
        return None
    if text.isdigit():
        return STATUS_LABELS.get(int(text), f"状态{text}")
    return text[:20]


def parse_complaints(body: bytes) -> ComplaintPage:
    document = load_json(body)
    result = dig(document, "result")
    if not isinstance(result, dict):
        raise PageFormatError("no_result", "the answer has no result object")
    code = text_of(dig(result, "status", "code"))
    if code not in (None, "0"):
        message = (text_of(dig(result, "status", "msg")) or "")[:200]
        raise PageFormatError("api_refused", f"status.code {code[:20]} {message}".strip())
    complaints = dig(result, "data", "complaints")
    if not isinstance(complaints, list):
        raise PageFormatError("no_complaints", "result.data.complaints is not a list")
    pager = dig(result, "data", "pager")
    return ComplaintPage(complaints, to_count(dig(pager, "current")),
                         to_count(dig(pager, "page_amount")))


def complaint_url(main: dict[str, Any], native_id: str) -> str:
    """The complaint's page: the listed ``url`` when it is on the site, else built from sn."""
    listed = text_of(main.get("url"))
    if listed:
        url = urljoin(SITE_URL + "/", listed)
        if url.startswith(SITE_URL + "/"):
            return url
    return f"{SITE_URL}/complaint/view/{native_id}/"


def to_raw_review(entry: Any, source: str) -> RawReview:
    main = dig(entry, "main")
    if not isinstance(main, dict):
        raise EntryFormatError("not_an_object", "complaint without a main object")
    native_id = text_of(main.get("sn"))
    if native_id is None or not native_id.isdigit():
        raise EntryFormatError("missing_id", "complaint without a numeric sn")
    text = strip_html(text_of(main.get("summary")))
    title = strip_html(text_of(main.get("title"))) or None
    if not text:
        if not title:
            raise EntryFormatError("missing_content", f"complaint {native_id} without text")
        text = title
    published_at = entry_time(main.get("timestamp"), f"complaint {native_id}")
    extra: dict[str, Any] = {}
    for key, value in (("company", text_of(main.get("cotitle"))),
                       ("demands", strip_html(text_of(main.get("appeal"))) or None),
                       ("status", status_label(main.get("status")))):
        if value:
            extra[key] = value
    return RawReview(source=source, platform=PLATFORM, native_id=native_id, text=text,
                     title=title, published_at=published_at,
                     author=text_of(dig(entry, "author", "title")),
                     likes=to_count(main.get("upvote_amount")),
                     replies=to_count(main.get("comment_amount")),
                     reposts=to_count(main.get("share_amount")),
                     url=complaint_url(main, native_id), extra=extra)
