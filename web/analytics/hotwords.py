"""Hot words: the keywords (``Review.keywords``) rising in a period against the period of the
same length before, for the chosen entities.

A word's figures: the reviews holding it now and before, its share of each period's reviews,
and Dunning's log-likelihood G² with its p value (``stats.keyness``). Listed: words in at
least ``MIN_COUNT`` reviews now whose share rose significantly (p < ``ALPHA``), most
significant first; when the previous period had no reviews at all, every frequent word. Candidates are the
``CANDIDATES`` most frequent words of the period (the store's ``keyword_counts``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from models.store import ReviewQuery
from web import reads
from web.analytics.stats import keyness
from web.periods import Period

CANDIDATES = 300
MIN_COUNT = 3
ALPHA = 0.05
TOP = 30


@dataclass(frozen=True)
class HotWord:
    term: str
    count: int
    previous: int
    share: float
    previous_share: float | None
    g2: float
    p_value: float

    @property
    def new(self) -> bool:
        return self.previous == 0

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "count": self.count, "previous_count": self.previous,
                "share": self.share, "previous_share": self.previous_share,
                "g2": round(self.g2, 3), "p_value": self.p_value, "new": self.new}


@dataclass
class HotWords:
    period: Period
    reviews: int
    previous_reviews: int
    words: list[HotWord]

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period.to_dict(), "previous": self.period.previous().to_dict(),
                "reviews": self.reviews, "previous_reviews": self.previous_reviews,
                "test": "log-likelihood G2 (Dunning), 1 degree of freedom",
                "min_count": MIN_COUNT, "alpha": ALPHA, "words": [w.to_dict() for w in self.words]}


def hot_words(query: ReviewQuery, period: Period, top: int = TOP) -> HotWords:
    """Rising keywords of ``query``'s reviews (entity and other filters) in ``period``."""
    now = replace(query, start=period.start, end=period.end)
    previous = period.previous()
    before = replace(query, start=previous.start, end=previous.end)
    n = reads.review_counts(now)[None]
    m = reads.review_counts(before)[None]
    counts = {t: c for t, c in reads.keyword_counts(now, CANDIDATES).items() if c >= MIN_COUNT}
    earlier = reads.keyword_counts(before, terms=list(counts)) if counts else {}
    words = []
    for term, count in counts.items():
        b = earlier.get(term, 0)
        test = keyness(count, n, b, m)
        if (test.statistic > 0 and test.p_value < ALPHA) or m == 0:
            words.append(HotWord(term, count, b, count / n, b / m if m else None,
                                 test.statistic, test.p_value))
    words.sort(key=lambda w: (-w.g2, -w.count, w.term))
    return HotWords(period, n, m, words[:top])
