"""The figures every analytics view reports for a group of reviews (an entity, a source, a
journey stage), and their change against the previous period.

From ratings (``rating_key``: whole stars, half up), for the reviews that have one:

- **CSAT** = share of 4★ and 5★ ratings among rated reviews (0..1);
- **promoter index** (NPS-style) = (share of 5★ − share of 0★–3★) × 100, in −100..100:
  5★ are promoters, 4★ passives, 0★–3★ detractors. It is *not* a Net Promoter Score (no
  0–10 "would you recommend" question was asked); it is the same balance read from stars;
- **mean rating** = the mean of the whole-star ratings.

From sentiment: **negative share** = negative / all reviews, **net sentiment** =
(positive − negative) / all reviews, in −1..1. Every figure is None when its base is empty.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from web.trend_series import negative_share, net_sentiment

PROMOTER, PASSIVE = {"5"}, {"4"}  # every other star rating is a detractor


@dataclass
class Figures:
    sentiments: dict[str | None, int] = field(default_factory=dict)
    ratings: dict[str | None, int] = field(default_factory=dict)  # by rating_key, None: none

    @property
    def total(self) -> int:
        return sum(self.sentiments.values())

    @property
    def negative_share(self) -> float | None:
        return negative_share(self.sentiments)

    @property
    def net_sentiment(self) -> float | None:
        return net_sentiment(self.sentiments)

    @property
    def rated(self) -> int:
        return sum(n for key, n in self.ratings.items() if key is not None)

    def _rated_share(self, keys: set[str]) -> float | None:
        return sum(self.ratings.get(k, 0) for k in keys) / self.rated if self.rated else None

    @property
    def csat(self) -> float | None:
        return self._rated_share({"4", "5"})

    @property
    def promoter_index(self) -> float | None:
        if not self.rated:
            return None
        detractors = self.rated - sum(self.ratings.get(k, 0) for k in PROMOTER | PASSIVE)
        return (sum(self.ratings.get(k, 0) for k in PROMOTER) - detractors) / self.rated * 100

    @property
    def mean_rating(self) -> float | None:
        if not self.rated:
            return None
        return sum(int(k) * n for k, n in self.ratings.items() if k is not None) / self.rated

    def to_dict(self) -> dict[str, Any]:
        return {"reviews": self.total,
                "sentiment": {("unknown" if k is None else k): n
                              for k, n in self.sentiments.items()},
                "negative_share": self.negative_share, "net_sentiment": self.net_sentiment,
                "rated": self.rated, "csat": self.csat, "promoter_index": self.promoter_index,
                "mean_rating": self.mean_rating}


def difference(now: float | int | None, before: float | int | None) -> float | int | None:
    return None if now is None or before is None else now - before


def change(now: Figures, before: Figures) -> dict[str, Any]:
    """Each figure's change against the previous period; ``reviews_pct`` is relative
    (None when there were no reviews before)."""
    return {
        "reviews": now.total - before.total,
        "reviews_pct": (now.total - before.total) / before.total if before.total else None,
        **{name: difference(getattr(now, name), getattr(before, name))
           for name in ("negative_share", "net_sentiment", "csat", "promoter_index",
                        "mean_rating")}}


def figures_by(sentiment_pairs: dict[tuple, int], rating_pairs: dict[tuple, int],
               keys: list[str]) -> dict[str, Figures]:
    """``Figures`` per key from two ``cross_count`` results keyed ``(key, sentiment)`` and
    ``(key, rating)``; every key of ``keys`` is present (empty when it had no review)."""
    out = {key: Figures() for key in keys}
    for (key, sentiment), n in sentiment_pairs.items():
        if key in out:
            out[key].sentiments[sentiment] = n
    for (key, rating), n in rating_pairs.items():
        if key in out:
            out[key].ratings[rating] = n
    return out
