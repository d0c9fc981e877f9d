"""Reading an incident's ``explanation`` (written by ``alerting``) for display.

The explanation is stored JSON, so it is read defensively: a missing or oddly shaped part is
left out rather than failing the page, and scalar keys this reader does not know are still
listed as facts so nothing the detector said is hidden. Shapes understood:

- ``summary`` (Chinese sentence) and ``summary_en`` (English sentence)
- ``terms``: ``[{"term", "window_count", "baseline_count", "score"}]`` or plain strings
- ``topics``: ``[{"topic", "count"}]``, ``[[topic, count]]`` or plain strings
- ``reviews``: ``[{"id", "text", "url", "author", "source", "published_at", "likes",
  "replies", "reposts", "author_followers", "reach"}]`` (examples)
- ``reach``: ``{"reviews", "likes", "replies", "reposts", "author_followers", "total"}``
- ``window`` and ``baseline``: ``{"start", "end", ...}`` periods (ISO-8601 with offset)
- ``coordinated``: ``{"suspected", "reviews", "new_authors", "authors", "span_seconds",
  "text", "review_ids"}``, the evidence of a suspected coordinated (刷差评) burst, or None
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

KNOWN = {"summary", "summary_en", "terms", "topics", "reviews", "window", "baseline", "reach",
         "coordinated"}
REACH_KEYS = ("reviews", "likes", "replies", "reposts", "author_followers", "total")
SHOWN_ELSEWHERE = {"rule", "group_key", "metric"}  # the incident's own fields say these


@dataclass(frozen=True)
class Term:
    term: str
    window_count: int | None = None
    baseline_count: int | None = None
    score: float | None = None


@dataclass(frozen=True)
class Example:
    id: str | None
    text: str
    url: str | None = None
    author: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    reach: int | None = None


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Coordinated:
    """A suspected coordinated burst: ``reviews`` near-identical negative reviews within
    ``minutes``, ``new_authors`` of ``authors`` unseen in the baseline sample."""
    reviews: int
    new_authors: int
    authors: int
    minutes: int
    text: str | None = None


@dataclass
class Explanation:
    summary: str | None = None
    terms: list[Term] = field(default_factory=list)
    topics: list[tuple[str, int | None]] = field(default_factory=list)
    reviews: list[Example] = field(default_factory=list)
    window: Period | None = None
    baseline: Period | None = None
    reach: dict[str, int] = field(default_factory=dict)  # REACH_KEYS; empty when not given
    facts: dict[str, Any] = field(default_factory=dict)
    coordinated: Coordinated | None = None


def read_explanation(data: Any, language: str) -> Explanation:
    if not isinstance(data, dict):
        return Explanation()
    english = data.get("summary_en") if language == "en" else None
    return Explanation(
        summary=_text(english) or _text(data.get("summary")),
        terms=[t for t in map(_term, _list(data.get("terms"))) if t],
        topics=[t for t in map(_topic, _list(data.get("topics"))) if t],
        reviews=[r for r in map(_example, _list(data.get("reviews"))) if r],
        window=_period(data.get("window")), baseline=_period(data.get("baseline")),
        reach=_reach(data.get("reach")), coordinated=_coordinated(data.get("coordinated")),
        facts={k: v for k, v in data.items()
               if k not in KNOWN | SHOWN_ELSEWHERE and isinstance(v, (str, int, float, bool))})


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _number(value: Any) -> Any:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _term(item: Any) -> Term | None:
    if isinstance(item, str):
        return Term(item)
    if isinstance(item, dict) and _text(item.get("term")):
        return Term(item["term"], _number(item.get("window_count")),
                    _number(item.get("baseline_count")), _number(item.get("score")))
    return None


def _topic(item: Any) -> tuple[str, int | None] | None:
    if isinstance(item, str):
        return item, None
    if isinstance(item, dict) and _text(item.get("topic")):
        return item["topic"], _number(item.get("count"))
    if isinstance(item, list) and item and _text(item[0]):
        return item[0], _number(item[1]) if len(item) > 1 else None
    return None


def aware_time(value: Any) -> datetime | None:
    """An ISO-8601 time with its offset, as stored JSON holds it; None for anything else (a
    naive time cannot honestly be shown in the reader's timezone)."""
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return when if when is not None and when.tzinfo is not None else None


def _period(item: Any) -> Period | None:
    if not isinstance(item, dict):
        return None
    start, end = aware_time(item.get("start")), aware_time(item.get("end"))
    return Period(start, end) if start and end else None


def _example(item: Any) -> Example | None:
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return None
    return Example(_text(item.get("id")), item["text"], _text(item.get("url")),
                   _text(item.get("author")), _text(item.get("source")),
                   aware_time(item.get("published_at")), _count(item.get("reach")))


def _count(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number >= 0 else None


def _reach(item: Any) -> dict[str, int]:
    if not isinstance(item, dict):
        return {}
    counts = {key: _count(item.get(key)) for key in REACH_KEYS}
    return {k: v for k, v in counts.items() if v is not None} if counts["total"] else {}


def _coordinated(item: Any) -> Coordinated | None:
    if not isinstance(item, dict) or item.get("suspected") is not True:
        return None
    reviews, new = _count(item.get("reviews")), _count(item.get("new_authors"))
    seconds = _count(item.get("span_seconds"))
    if reviews is None or new is None or seconds is None:
        return None
    authors = _list(item.get("authors"))
    return Coordinated(reviews, new, max(len(authors), new), seconds // 60,
                       _text(item.get("text")))
