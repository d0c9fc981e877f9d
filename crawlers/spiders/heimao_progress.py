"""Reading a 黑猫投诉 complaint's own page (docs/sources.md §8, ``/complaint/view/<sn>/``):
its current status and its progress steps (投诉进度).

The page is HTML. ``div.ts-d-question`` holds the complaint: ``h1.article`` (title),
``ul.ts-q-list > li`` rows, each a ``<label>`` (``投诉编号：``, ``投诉对象：``, ``投诉问题：``,
``投诉要求：``, ``涉诉金额：``, ``投诉进度：``) and its value (text, an ``<a>`` for the
company, a ``<b>`` for the status: ``处理中``, ``已完成`` ...). ``div.ts-d-steplist`` holds the
steps, each a ``div.ts-d-item`` with ``span.u-name`` (who: the complainant, the company, the
platform), ``span.u-status`` (what: ``发起投诉``, ``投诉已分配``, ``商家已回复``,
``用户确认完成``, ``评价``), ``span.u-date`` (Beijing time, no zone) and its text in
``div.ts-d-cont`` (older pages: ``div.ts-reply``). The 评价 step's stars are filled in by the
page's script from another request and are not read.

A page without ``div.ts-d-question`` (a captcha, 访问过于频繁, 投诉不存在) raises
``PageFormatError``. A step that cannot be read (no action, an unreadable time) is skipped
and reported as ``(reason, detail)``; the steps around it are kept. Everything on the page is
the complainant's, the company's or anyone's text: each value is cut to a fixed length and at
most ``MAX_STEPS`` steps are kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timezone
from typing import Any

from parsel import Selector

from crawlers.exceptions import PageFormatError
from crawlers.normalise import parse_time
from crawlers.spiders.json_body import decode

MAX_STEPS = 30
MAX_STEP_TEXT = 2000
MAX_NAME = 100
MAX_STATUS = 20
STATUS_LABEL = "投诉进度"


@dataclass(slots=True)
class ComplaintProgress:
    """The status the page shows (None when it shows none), its steps in page order as
    ``{"step", "by", "at", "text"}`` (``at``: ISO time in UTC, None when the page gives
    none), and the steps that could not be read as (reason, detail)."""
    status: str | None
    steps: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)


def parse_progress(body: bytes | str) -> ComplaintProgress:
    page = Selector(text=decode(body))
    question = page.css("div.ts-d-question")
    if not question:
        title = " ".join(page.css("title::text").get("").split())[:80] or "no title"
        raise PageFormatError("no_complaint",
                              f"no complaint on the page (title: {title}; captcha or removed?)")
    progress = ComplaintProgress(_status(question[0]))
    items = page.css("div.ts-d-steplist div.ts-d-item")
    for index, item in enumerate(items):
        if len(progress.steps) >= MAX_STEPS:
            progress.dropped.append(("too_many_steps", f"steps after {MAX_STEPS} not kept "
                                                       f"({len(items)} on the page)"))
            break
        step = _step(item)
        if isinstance(step, tuple):
            progress.dropped.append((step[0], f"step {index}: {step[1]}"))
        else:
            progress.steps.append(step)
    return progress


def _text(selector: Selector, limit: int) -> str:
    """The text of ``selector`` and its descendants, whitespace folded, cut to ``limit``."""
    words = selector.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")
    return " ".join(" ".join(words.getall()).split())[:limit]


def _first(selector: Selector, css: str, limit: int) -> str:
    """The text of the first element matching ``css`` under ``selector``, or ""."""
    found = selector.css(css)
    return _text(found[0], limit) if found else ""


def _status(question: Selector) -> str | None:
    for row in question.css("ul.ts-q-list > li"):
        label = _first(row, "label", 40)
        if label.startswith(STATUS_LABEL):
            status = _first(row, "b", MAX_STATUS) or _first(row, "span", MAX_STATUS)
            if not status:  # the value as plain text after the label
                status = _text(row, 60).removeprefix(label).strip()[:MAX_STATUS]
            return status or None
    return None


def _step(item: Selector) -> dict[str, Any] | tuple[str, str]:
    action = _first(item, "span.u-status", 40)
    if not action:
        return ("missing_step", "no span.u-status")
    when, at = _first(item, "span.u-date", 40), None
    if when:
        try:
            at = parse_time(when).astimezone(timezone.utc).isoformat()
        except ValueError as exc:
            return ("bad_time", f"{action}: {exc}")
    text = _first(item, "div.ts-d-cont", MAX_STEP_TEXT) or _first(item, "div.ts-reply",
                                                                    MAX_STEP_TEXT)
    return {"step": action, "by": _first(item, "span.u-name", MAX_NAME) or None, "at": at,
            "text": text}
