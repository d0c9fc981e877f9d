"""Jinja filters and globals that turn records into what people read.

Times are shown in the config timezone as ``2026-11-23 14:05``. Review text is shown as
written (traditional characters stay traditional); control characters, which HTML cannot
carry, are shown as their visible "control picture" (U+2400 block; U+FFFD for C1 controls)
instead of being dropped, so a handler sees that the original contained them. Escaping
itself is Jinja's autoescape; nothing here marks text as safe.
"""
from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import Flask

from alerting.detect.wording import HEADLINES
from web.formats import duration, number, p_value_text, percent, points, signed
from web.i18n import current_language, gettext
from web.reads import current_runtime

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_PICTURE = {**{i: chr(0x2400 + i) for i in range(0x20)}, 0x7F: "\u2421"}


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def display_zone() -> ZoneInfo:
    return _zone(current_runtime().config.timezone)


def localtime(value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(display_zone()).strftime(pattern)


def visible(text: str | None) -> str:
    """``text`` with control characters (other than tab and newlines) made visible."""
    if not text:
        return ""
    return _CONTROL.sub(lambda m: _CONTROL_PICTURE.get(ord(m.group()), "\ufffd"), text)


def stars(rating: float | None) -> str:
    if rating is None:
        return gettext("review.no_rating")
    filled = int(rating + 0.5)  # half up, as feed.js does
    return "★" * filled + "☆" * (5 - filled)


def entity_name(entity_id: str) -> str:
    for entity in current_runtime().config.entities:
        if entity.id == entity_id:
            return entity.name
    return entity_id


def topic_name(topic: str) -> str:
    """A topic of the taxonomy in the reader's language (a topic of one's own config, which
    has no translation, as written)."""
    return gettext(f"topic.{topic}", _default=topic)


def incident_title(title: str | None) -> str:
    """An incident's stored (Chinese) title in the reader's language: the rule's headline is
    translated and a topic after it too; the scope (a brand, product or source name) stays as
    configured. A title not made from a known headline is shown as stored."""
    title = visible(title)
    if current_language() == "zh-CN" or not title:
        return title
    for rule_type, headline in HEADLINES.items():
        scope, found, rest = title.partition(headline)
        if found:
            what = rest.lstrip("：: ")
            english = gettext(f"headline.{rule_type}")
            text = f"{_what(scope.strip())}: {english}" if scope.strip() else english
            return f"{text} — {_what(what)}" if what else text
    return title


def _what(text: str) -> str:
    """What an emerging-topic or crisis title names: a topic, an aspect ("物流配送·负面") or a
    term (kept as written)."""
    topic, dot, polarity = text.partition("·")
    if dot and polarity in _POLARITY_KEY:
        return f"{topic_name(topic)} · {gettext(_POLARITY_KEY[polarity])}"
    return topic_name(text)


_POLARITY_KEY = {"负面": "sentiment.negative", "中性": "sentiment.neutral",
                 "正面": "sentiment.positive"}


_GROUPINGS = {"entity": "filter.entity", "source": "filter.source", "topic": "filter.topic",
              "aspect": "incident.grouping.aspect"}


def fact_value(value: object, key: str) -> str:
    """One fact of an incident's explanation as people read it: a rule type or grouping in the
    reader's language, a p-value as ``< 0.001`` or to three places, other numbers to two
    places (whole numbers as they are), nothing as "—"; anything else as text with controls made visible."""
    if value is None or value == "":
        return "—"
    if key == "type" and isinstance(value, str):
        return gettext(f"rules.type.{value}", _default=value)
    if key == "group_by" and isinstance(value, str):
        return gettext(_GROUPINGS[value]) if value in _GROUPINGS else visible(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return visible(str(value))
    if key == "p_value":
        return p_value_text(float(value))
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(localtime=localtime, visible=visible, stars=stars,
                                 signed=signed, percent=percent, entity_name=entity_name,
                                 duration=duration, topic_name=topic_name,
                                 incident_title=incident_title, points=points, number=number,
                                 fact_value=fact_value)
