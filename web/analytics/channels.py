"""One entity's figures per channel (source or platform) side by side, each against the
previous period, with the channels whose negative share differs significantly from the rest
of the entity's reviews flagged: the omnichannel inconsistency signal (praised in the app
store, attacked on a forum).

The flag: a two-proportion z test of the channel's negative share against the share in the
entity's other channels (``stats.proportion_test``), raised when p < ``ALPHA`` and both
sides have at least ``MIN_VOLUME`` reviews; ``direction`` says whether the channel is more
(``higher``) or less (``lower``) negative.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from models.config import EntityConfig
from models.store import ReviewQuery
from web import reads
from web.analytics.figures import Figures, change, figures_by
from web.analytics.stats import Test, proportion_test
from web.periods import Period

ALPHA = 0.01
MIN_VOLUME = 30
BY = ("source", "platform")


@dataclass
class Channel:
    name: str
    now: Figures
    before: Figures
    test: Test | None
    flagged: bool

    @property
    def direction(self) -> str | None:
        return None if self.test is None else ("higher" if self.test.statistic > 0 else "lower")

    def to_dict(self) -> dict[str, Any]:
        return {"channel": self.name, **self.now.to_dict(),
                "previous": self.before.to_dict(), "change": change(self.now, self.before),
                "significance": None if self.test is None else {
                    "z": round(self.test.statistic, 3), "p_value": self.test.p_value,
                    "direction": self.direction},
                "flagged": self.flagged}


@dataclass
class ChannelView:
    entity: EntityConfig
    by: str
    period: Period
    overall: Figures
    overall_before: Figures
    channels: list[Channel]

    def to_dict(self) -> dict[str, Any]:
        return {"entity": self.entity.id, "name": self.entity.name, "by": self.by,
                "period": self.period.to_dict(), "previous": self.period.previous().to_dict(),
                "test": {"kind": "two-proportion z test against the other channels",
                         "alpha": ALPHA, "min_volume": MIN_VOLUME},
                "overall": {**self.overall.to_dict(),
                            "change": change(self.overall, self.overall_before)},
                "channels": [c.to_dict() for c in self.channels]}


def _by_channel(query: ReviewQuery, by: str) -> dict[str, Figures]:
    sentiments = reads.review_cross_counts(query, by, "sentiment")
    ratings = reads.review_cross_counts(query, by, "rating")
    keys = sorted({key for key, _ in sentiments} - {None})
    return figures_by(sentiments, ratings, keys)


def _sum(figures: list[Figures]) -> Figures:
    total = Figures()
    for f in figures:
        for key, n in f.sentiments.items():
            total.sentiments[key] = total.sentiments.get(key, 0) + n
        for key, n in f.ratings.items():
            total.ratings[key] = total.ratings.get(key, 0) + n
    return total


def channels(entity: EntityConfig, by: str, period: Period,
             query: ReviewQuery = ReviewQuery()) -> ChannelView:
    now = replace(query, entities=(entity.id,), start=period.start, end=period.end)
    previous = period.previous()
    current = _by_channel(now, by)
    before = _by_channel(replace(now, start=previous.start, end=previous.end), by)
    overall = _sum(list(current.values()))
    rows = []
    for name, figures in current.items():
        negative = figures.sentiments.get("negative", 0)
        rest_n = overall.total - figures.total
        test = proportion_test(negative, figures.total,
                               overall.sentiments.get("negative", 0) - negative, rest_n)
        flagged = (test is not None and test.p_value < ALPHA
                   and figures.total >= MIN_VOLUME and rest_n >= MIN_VOLUME)
        rows.append(Channel(name, figures, before.get(name, Figures()), test, flagged))
    rows.sort(key=lambda c: (-c.now.total, c.name))
    return ChannelView(entity, by, period, overall, _sum(list(before.values())), rows)
