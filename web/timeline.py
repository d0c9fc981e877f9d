"""How an incident's timeline entry reads: its detail as labelled, localised facts.

An event's ``detail`` is a JSON dict written by whoever added the entry (detection, delivery,
routing, people). ``event_facts(detail)`` turns it into ``(label, text)`` pairs in the
request's language: times in the display timezone, counts as integers, expectations rounded,
p-values as ``< 0.001``, durations in words, lists joined; ``activity`` (firings per hour, see
``alerting.respond.incidents``) becomes a small count-over-time chart. Keys no catalogue names
keep their key as the label, so nothing recorded is hidden.
"""
from __future__ import annotations

from typing import Any

from web.display import display_zone
from web.explanation import aware_time
from web.formats import duration, p_value_text
from web.i18n import gettext

BARS = "▁▂▃▄▅▆▇█"
TIME_KEYS = ("window_start", "window_end", "peak_at", "resolved_at", "at_baseline_since",
             "until", "queued_until", "since")
SECONDS_SUFFIX = "_seconds"
HIDDEN = ("summary_en",)


def event_facts(detail: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The ``(label, text)`` pairs of a timeline entry's ``detail`` (see the module)."""
    facts = []
    for key, value in (detail or {}).items():
        if key in HIDDEN or value is None or value == "" or value == []:
            continue
        facts.append((gettext(f"incident.detail.{key}", _default=key), _text(key, value)))
    return facts


def activity_chart(activity: dict[str, int]) -> str:
    """Firings per hour as a bar per hour from the first to the last, with local times and
    the total: ``14:00 ▂█▅ 16:00（共 12 次）``."""
    parsed = ((aware_time(k), n) for k, n in activity.items())
    hours = sorted((at, n) for at, n in parsed if at is not None)
    if not hours:
        return ""
    first, last = hours[0][0], hours[-1][0]
    span = int((last - first).total_seconds() // 3600) + 1
    counts = [0] * min(span, 72)
    for at, n in hours:
        i = int((at - first).total_seconds() // 3600)
        if i < len(counts):
            counts[i] += int(n)
    top = max(counts) or 1
    bars = "".join(BARS[min(len(BARS) - 1, (len(BARS) - 1) * c // top)] if c else " "
                   for c in counts)
    zone = display_zone()
    total = sum(int(n) for _, n in hours)
    return gettext("incident.activity", first=first.astimezone(zone).strftime("%H:%M"),
                   bars=bars, last=last.astimezone(zone).strftime("%H:%M"), total=total)


def _text(key: str, value: Any) -> str:
    if key == "activity" and isinstance(value, dict):
        return activity_chart(value)
    if key == "p_value" and isinstance(value, (int, float)):
        return p_value_text(float(value))
    if key.endswith(SECONDS_SUFFIX) and isinstance(value, (int, float)):
        return duration(value)
    if key in TIME_KEYS or key.endswith("_at"):
        at = aware_time(value)
        if at is not None:
            return at.astimezone(display_zone()).strftime("%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"
    if isinstance(value, (list, tuple)):
        return "、".join(_text(key, v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{k}: {_text(k, v)}" for k, v in value.items())
    return str(value)
