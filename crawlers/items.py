"""The raw item a spider or an importer yields: what the site says about one review, before
analysis. ``to_review`` turns it into the ``models.Review`` the rest of the system uses."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from models.review import Review, review_id, utcnow


@dataclass(slots=True, repr=False)
class RawReview:
    """One review as collected. ``published_at`` is timezone-aware; ``rating`` is on a 0–5 scale
    or None when the site shows no rating; ``extra`` holds site-specific details (app version,
    vote count) and markers such as ``published_at_estimated``."""
    source: str
    platform: str
    native_id: str | None
    text: str
    published_at: datetime
    title: str | None = None
    author: str | None = None
    rating: float | None = None
    likes: int = 0
    replies: int = 0
    reposts: int = 0
    author_followers: int = 0
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The stable review id (source + native id, or source + text without one)."""
        return review_id(self.source, self.native_id, self.text)

    def to_review(self, entities: Iterable[str] = (),
                  crawled_at: datetime | None = None) -> Review:
        """A ``Review`` carrying ``entities`` (the source's), not yet analysed."""
        return Review.create(
            self.source, self.native_id, self.text, platform=self.platform,
            published_at=self.published_at, crawled_at=crawled_at or utcnow(),
            url=self.url, entities=list(entities), author=self.author, title=self.title,
            rating=self.rating, likes=self.likes, replies=self.replies, reposts=self.reposts,
            author_followers=self.author_followers, extra=dict(self.extra))

    def __repr__(self) -> str:
        # Dropped items are logged by Scrapy; a 100,000-character review must not flood the log.
        preview = self.text if len(self.text) <= 40 else self.text[:40] + "…"
        return (f"RawReview(source={self.source!r}, native_id={self.native_id!r}, "
                f"published_at={self.published_at.isoformat()}, text={preview!r})")
