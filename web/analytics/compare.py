"""Compare 2–6 entities side by side over a period: volume, share of voice, negative share,
net sentiment, ratings and top topics, each against the previous period of the same length,
plus each entity's volume and share of voice per time bucket.

Share of voice is an entity's reviews over the sum of the compared entities' reviews; a
review that mentions two of them counts for both (it is a mention of each), so the shares of
one period always add up to 100%.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Any

from models.config import EntityConfig
from models.store import ReviewQuery
from web import reads
from web.analytics.figures import Figures, change, figures_by
from web.periods import Period
from web.trend_series import TrendSeries, series_over

TOP_TOPICS = 5


@dataclass
class Compared:
    entity: EntityConfig
    now: Figures
    before: Figures
    share: float | None
    share_before: float | None
    topics: list[tuple[str, int, int]]  # (topic, mentions, negative mentions), top first

    def to_dict(self) -> dict[str, Any]:
        return {"entity": self.entity.id, "name": self.entity.name,
                **self.now.to_dict(), "share_of_voice": self.share,
                "previous": {**self.before.to_dict(), "share_of_voice": self.share_before},
                "change": {**change(self.now, self.before),
                           "share_of_voice": None if self.share is None or
                           self.share_before is None else self.share - self.share_before},
                "top_topics": [{"topic": t, "mentions": n, "negative": neg}
                               for t, n, neg in self.topics]}


@dataclass
class Comparison:
    period: Period
    rows: list[Compared]
    series: TrendSeries

    def share_series(self) -> list[dict[str, Any]]:
        """Per bucket: each entity's reviews and share of voice (None in an empty bucket)."""
        ids = [row.entity.id for row in self.rows]
        out = []
        for bucket in self.series.buckets:
            counts = {e: bucket.counts.get(e, 0) for e in ids}
            total = sum(counts.values())
            out.append({"start": bucket.start.isoformat(), "end": bucket.end.isoformat(),
                        "counts": counts,
                        "share": {e: (n / total if total else None) for e, n in counts.items()}})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period.to_dict(), "previous": self.period.previous().to_dict(),
                "interval": self.series.interval, "timezone": str(self.series.tz),
                "entities": [row.to_dict() for row in self.rows],
                "series": self.share_series()}


def _figures(query: ReviewQuery, ids: list[str]) -> dict[str, Figures]:
    return figures_by(reads.review_cross_counts(query, "entity", "sentiment"),
                      reads.review_cross_counts(query, "entity", "rating"), ids)


def _topics(query: ReviewQuery, ids: list[str]) -> dict[str, list[tuple[str, int, int]]]:
    mentions = reads.review_cross_counts(query, "entity", "topic")
    negative = reads.review_cross_counts(replace(query, sentiments=("negative",)),
                                         "entity", "topic")
    out: dict[str, list[tuple[str, int, int]]] = {e: [] for e in ids}
    for (entity, topic), n in mentions.items():
        if entity in out and topic is not None:
            out[entity].append((topic, n, negative.get((entity, topic), 0)))
    for rows in out.values():
        rows.sort(key=lambda row: (-row[1], -row[2], row[0]))
        del rows[TOP_TOPICS:]
    return out


def _shares(figures: dict[str, Figures]) -> dict[str, float | None]:
    total = sum(f.total for f in figures.values())
    return {e: (f.total / total if total else None) for e, f in figures.items()}


def compare(entities: list[EntityConfig], period: Period, query: ReviewQuery,
            edges: list[datetime], interval: str, tz: tzinfo) -> Comparison:
    """``entities`` (already checked against the reader's scope) over ``period``;
    ``query`` carries the other filters (sources); ``edges`` the series' buckets."""
    ids = [e.id for e in entities]
    now = replace(query, entities=tuple(ids), start=period.start, end=period.end)
    before_period = period.previous()
    before = replace(now, start=before_period.start, end=before_period.end)
    figures_now, figures_before = _figures(now, ids), _figures(before, ids)
    shares_now, shares_before = _shares(figures_now), _shares(figures_before)
    topics = _topics(now, ids)
    rows = [Compared(e, figures_now[e.id], figures_before[e.id], shares_now[e.id],
                     shares_before[e.id], topics[e.id]) for e in entities]
    series = series_over(now, edges, period.preset or "custom", interval, "entity", tz,
                         reads.review_trend, sentiments=False)
    for bucket in series.buckets:  # a third entity sharing their reviews is not compared
        bucket.counts = {e: n for e, n in bucket.counts.items() if e in ids}
    return Comparison(period, rows, series)
