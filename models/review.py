"""The Review record: one public review, as collected and as analysed.

A review's ``id`` is stable: a hash of the source name and the site's native review id, or of
the text when the site gives no id. Re-ingesting the same review therefore updates it instead
of creating a second copy. Times are timezone-aware and kept in UTC.
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

SENTIMENT_LABELS = ("negative", "neutral", "positive")
SCRIPTS = ("zh-Hans", "zh-Hant", "other")


def review_id(source: str, native_id: str | None = None, text: str | None = None) -> str:
    """Return the stable review id for ``source`` + ``native_id`` (or + ``text`` without one)."""
    if native_id:
        key = f"{source}\x1fid\x1f{native_id}"
    elif text is not None:
        key = f"{source}\x1ftext\x1f{text}"
    else:
        raise ValueError("a review id needs a native id or the review text")
    return hashlib.blake2b(key.encode("utf-8"), digest_size=12).hexdigest()


def utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; a naive datetime is rejected rather than guessed."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} has no timezone")
    return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(slots=True)
class Sentiment:
    label: str
    score: float
    model: str = ""

    def __post_init__(self) -> None:
        if self.label not in SENTIMENT_LABELS:
            raise ValueError(f"sentiment label must be one of {SENTIMENT_LABELS}, got {self.label!r}")
        if not -1.0 <= self.score <= 1.0:
            raise ValueError(f"sentiment score must be in [-1, 1], got {self.score}")


# The counts ``Review.reach`` adds up; the stores sum the same fields of a stored review.
REACH_COUNTS = ("likes", "replies", "reposts", "author_followers")


@dataclass(slots=True)
class Review:
    id: str
    source: str
    platform: str
    text: str
    published_at: datetime
    crawled_at: datetime = field(default_factory=utcnow)
    native_id: str | None = None
    url: str | None = None
    entities: list[str] = field(default_factory=list)
    author: str | None = None
    title: str | None = None
    text_norm: str = ""
    script: str = "other"
    rating: float | None = None
    likes: int = 0
    replies: int = 0
    reposts: int = 0           # shares/forwards, where the site counts them
    author_followers: int = 0  # the author's followers when the site shows them (0: unknown)
    sentiment: Sentiment | None = None
    topics: list[str] = field(default_factory=list)
    aspects: list[tuple[str, str]] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.published_at = utc(self.published_at)
        self.crawled_at = utc(self.crawled_at)
        if self.rating is not None and not 0 <= self.rating <= 5:
            raise ValueError(f"rating must be within 0-5, got {self.rating}")

    @classmethod
    def create(cls, source: str, native_id: str | None, text: str, **values: Any) -> "Review":
        """Build a review whose id is derived from ``source`` and ``native_id`` (or the text)."""
        return cls(id=review_id(source, native_id, text), source=source, native_id=native_id,
                   text=text, **values)

    @property
    def reach(self) -> int:
        """How far the review travelled as the site counts it: likes + replies + reposts plus
        the author's followers (who saw it in their feed); 0 when the site shows none."""
        return sum(getattr(self, name) for name in REACH_COUNTS)

    def fingerprint(self) -> str:
        """Hash of what the site says about the review; a changed fingerprint means "updated"."""
        raw = [self.text, self.title, self.author, self.rating, self.likes, self.replies,
               self.url, self.published_at.isoformat(), sorted(self.entities)]
        # Appended only when present, so reviews stored before these existed keep their
        # fingerprint (and are not all re-stored as "updated" by the next crawl).
        if self.reposts or self.author_followers:
            raw += [self.reposts, self.author_followers]
        if self.extra.get("status") is not None:  # a complaint's 处理中 → 已完成 is an update
            raw.append(str(self.extra["status"]))
        if isinstance(self.extra.get("progress"), list):  # a complaint's new progress step too
            raw.append(len(self.extra["progress"]))
        blob = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
        return hashlib.blake2b(blob.encode("utf-8"), digest_size=12).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: times as ISO-8601 in UTC, aspects as [topic, polarity] pairs."""
        # Written out rather than dataclasses.asdict, which deep-copies and dominated ingest.
        s = self.sentiment
        return {
            "id": self.id, "source": self.source, "platform": self.platform, "text": self.text,
            "published_at": self.published_at.isoformat(),
            "crawled_at": self.crawled_at.isoformat(),
            "native_id": self.native_id, "url": self.url, "entities": list(self.entities),
            "author": self.author, "title": self.title, "text_norm": self.text_norm,
            "script": self.script, "rating": self.rating, "likes": self.likes,
            "replies": self.replies, "reposts": self.reposts,
            "author_followers": self.author_followers,
            "sentiment": None if s is None else {"label": s.label, "score": s.score,
                                                 "model": s.model},
            "topics": list(self.topics), "aspects": [list(a) for a in self.aspects],
            "keywords": list(self.keywords), "tokens": list(self.tokens),
            "flags": list(self.flags), "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Review":
        known = _field_names(cls)
        values = {k: v for k, v in data.items() if k in known}
        for key in ("published_at", "crawled_at"):
            if isinstance(values.get(key), str):
                values[key] = datetime.fromisoformat(values[key])
        if isinstance(values.get("sentiment"), dict):
            values["sentiment"] = Sentiment(**values["sentiment"])
        values["aspects"] = [tuple(a) for a in values.get("aspects") or []]
        return cls(**values)


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    # once per class: ``fields()`` on every ``from_dict`` took a third of each stored read
    return frozenset(f.name for f in fields(cls))
