"""The demo site's timeline of reviews, generated deterministically from a seed.

At ``start`` there is a backlog covering the preceding ``backlog`` (about one review every
``mean_interval`` seconds, ``negative_share`` of them negative); after it, new reviews keep
arriving at the same pace. ``burst_after`` the start, a burst of ``burst_size`` negative reviews
about one defect arrives within ``burst_span``, and again every ``burst_every``.

Reviews are only generated, never stored: ``published(as_of)`` says what the site shows at a
given time, so a test can move an injected clock and know exactly what a crawl should find.
"""
from __future__ import annotations

import bisect
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from crawlers.demo.writer import ReviewWriter

FEED_LIMIT = 500  # the App Store feed shows the newest 10 pages of 50


@dataclass(frozen=True, slots=True)
class DemoReview:
    native_id: str
    author: str
    author_id: str
    published_at: datetime  # UTC, whole seconds
    rating: int | None      # None: the entry has no im:rating
    version: str
    title: str
    content: str
    vote_sum: int
    vote_count: int
    sentiment: str          # what it was written as: positive | negative | neutral
    script: str             # zh-Hans | zh-Hant
    burst: int | None = None


class DemoCatalogue:
    """Every review the demo site will ever show, generated lazily and thread-safely."""

    def __init__(self, seed: int = 7, start: datetime | None = None, *,
                 backlog: timedelta = timedelta(minutes=70), mean_interval: float = 10.5,
                 negative_share: float = 0.12, unrated_share: float = 0.04,
                 burst_after: timedelta | None = timedelta(seconds=40),
                 burst_every: timedelta | None = timedelta(minutes=15), burst_size: int = 20,
                 burst_span: timedelta = timedelta(seconds=60),
                 writer: ReviewWriter | None = None):
        self.seed = seed
        self.start = (start or datetime.now(timezone.utc)).astimezone(timezone.utc) \
            .replace(microsecond=0)
        self.mean_interval, self.negative_share = mean_interval, negative_share
        self.unrated_share = unrated_share
        self.burst_after, self.burst_every = burst_after, burst_every
        self.burst_size, self.burst_span = burst_size, burst_span
        self.writer = writer or ReviewWriter()
        self._rng = random.Random(f"{seed}:regular")
        self._clock = (self.start - backlog).timestamp()
        self._regular: list[DemoReview] = []
        self._times: list[datetime] = []
        self._bursts: dict[int, list[DemoReview]] = {}
        self._lock = threading.Lock()

    def published(self, as_of: datetime, limit: int = FEED_LIMIT) -> list[DemoReview]:
        """The reviews published at or before ``as_of``, newest first, at most ``limit``."""
        with self._lock:
            self._extend(as_of)
            regular = self._regular[:bisect.bisect_right(self._times, as_of)]
            bursts = [r for k in range(self._burst_count(as_of))
                      for r in self._burst(k) if r.published_at <= as_of]
        merged = sorted(regular[-limit:] + bursts,
                        key=lambda r: (r.published_at, r.native_id), reverse=True)
        return merged[:limit]

    def burst_starts(self, until: datetime) -> list[datetime]:
        return [self._burst_start(k) for k in range(self._burst_count(until))]

    def _extend(self, until: datetime) -> None:
        while not self._times or self._times[-1] <= until:
            self._clock += self._rng.uniform(0.5, 1.5) * self.mean_interval
            at = datetime.fromtimestamp(round(self._clock), timezone.utc)
            draw = self._rng.random()
            sentiment = ("negative" if draw < self.negative_share else
                         "neutral" if draw < self.negative_share + 0.18 else "positive")
            review = self._review(self._rng, 8_000_000_000 + len(self._regular), at, sentiment,
                                  rated=self._rng.random() >= self.unrated_share)
            self._regular.append(review)
            self._times.append(at)

    def _burst_start(self, k: int) -> datetime:
        return self.start + self.burst_after + k * (self.burst_every or timedelta(0))

    def _burst_count(self, as_of: datetime) -> int:
        if self.burst_after is None or as_of < self._burst_start(0):
            return 0
        if not self.burst_every:
            return 1
        return int((as_of - self._burst_start(0)) / self.burst_every) + 1

    def _burst(self, k: int) -> list[DemoReview]:
        if k not in self._bursts:
            rng = random.Random(f"{self.seed}:burst:{k}")
            defects = sorted(self.writer.phrases["defects"])
            defect = defects[(self.seed + k) % len(defects)]
            span = self.burst_span.total_seconds()
            offsets = sorted(round(rng.uniform(0, span)) for _ in range(self.burst_size))
            self._bursts[k] = [
                self._review(rng, 9_000_000_000 + k * 1000 + j,
                             self._burst_start(k) + timedelta(seconds=offset), "negative",
                             defect=defect, burst=k)
                for j, offset in enumerate(offsets)]
        return self._bursts[k]

    def _review(self, rng: random.Random, number: int, at: datetime, sentiment: str, *,
                rated: bool = True, defect: str | None = None,
                burst: int | None = None) -> DemoReview:
        written = self.writer.write(rng, sentiment, defect=defect, rated=rated)
        votes = rng.choice((0, 0, 0, 0, 1, 2, 3, 5))
        return DemoReview(
            native_id=str(number), author=self.writer.author(rng),
            author_id=str(rng.randint(100_000_000, 999_999_999)), published_at=at,
            rating=written.rating, version=written.version, title=written.title,
            content=written.content, vote_sum=rng.randint(0, votes), vote_count=votes,
            sentiment=sentiment, script=written.script, burst=burst)
