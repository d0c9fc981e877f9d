"""Customer-experience metrics: CSAT and the promoter/detractor index from star ratings (see
``web.analytics.figures`` for the mapping) per entity, per source and per time bucket, and
the customer journey's touchpoints: the configured stages (``touchpoints`` in the config,
each a list of topics), with the sentiment of each stage's reviews per bucket.

A review speaks about a stage when it has at least one of the stage's topics; it counts once
per stage however many of them it has.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Any

from models.config import EntityConfig, TouchpointStage
from models.store import ReviewQuery
from web import reads
from web.analytics.figures import Figures, change, figures_by
from web.periods import Period
from web.trend_series import NONE_KEY, TrendSeries, series_over


@dataclass
class Stage:
    stage: TouchpointStage
    now: Figures
    before: Figures
    series: TrendSeries | None  # None for a stage without topics

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage.stage, "topics": list(self.stage.topics),
                **self.now.to_dict(), "previous": self.before.to_dict(),
                "change": change(self.now, self.before),
                "series": [] if self.series is None else [
                    {"start": b.start.isoformat(), "end": b.end.isoformat(), "reviews": b.total,
                     "negative_share": b.negative_share, "net_sentiment": b.net_sentiment,
                     "sparse": b.sparse} for b in self.series.buckets]}


@dataclass
class CxView:
    entities: list[EntityConfig]
    period: Period
    by_entity: dict[str, tuple[Figures, Figures]]
    by_source: dict[str, tuple[Figures, Figures]]
    ratings: TrendSeries
    stages: list[Stage]

    def csat_series(self) -> list[dict[str, Any]]:
        out = []
        for bucket in self.ratings.buckets:
            figures = Figures(ratings={(None if k == NONE_KEY else k): n
                                       for k, n in bucket.counts.items()})
            out.append({"start": bucket.start.isoformat(), "end": bucket.end.isoformat(),
                        "rated": figures.rated, "csat": figures.csat,
                        "promoter_index": figures.promoter_index,
                        "sparse": figures.rated < 5})
        return out

    def to_dict(self) -> dict[str, Any]:
        def pair(key_name: str, key: str, figures: tuple[Figures, Figures]) -> dict:
            now, before = figures
            return {key_name: key, **now.to_dict(), "previous": before.to_dict(),
                    "change": change(now, before)}
        return {"period": self.period.to_dict(), "previous": self.period.previous().to_dict(),
                "interval": self.ratings.interval,
                "mapping": {"csat": "share of 4-5 star ratings among rated reviews",
                            "promoters": [5], "passives": [4], "detractors": [0, 1, 2, 3],
                            "promoter_index": "(promoters - detractors) / rated * 100",
                            "stars": "ratings rounded half up to whole stars"},
                "entities": [pair("entity", e.id, self.by_entity[e.id]) | {"name": e.name}
                             for e in self.entities],
                "sources": [pair("source", s, f) for s, f in self.by_source.items()],
                "series": self.csat_series(),
                "touchpoints": [s.to_dict() for s in self.stages]}


def _pairs(query: ReviewQuery, before: ReviewQuery, by: str,
           keys: list[str] | None) -> dict[str, tuple[Figures, Figures]]:
    def read(q: ReviewQuery) -> tuple[dict, dict]:
        return (reads.review_cross_counts(q, by, "sentiment"),
                reads.review_cross_counts(q, by, "rating"))
    now_s, now_r = read(query)
    before_s, before_r = read(before)
    keys = keys if keys is not None else sorted({k for k, _ in now_s} - {None})
    now, prev = figures_by(now_s, now_r, keys), figures_by(before_s, before_r, keys)
    return {k: (now[k], prev[k]) for k in keys}


def _stage(stage: TouchpointStage, now: ReviewQuery, before: ReviewQuery,
           edges: list[datetime], interval: str, tz: tzinfo) -> Stage:
    if not stage.topics:
        return Stage(stage, Figures(), Figures(), None)
    topics = tuple(stage.topics)

    def figures(q: ReviewQuery, sentiments: dict | None = None) -> Figures:
        scoped = replace(q, topics=topics)
        if sentiments is None:
            sentiments = reads.review_counts(scoped, "sentiment")
        return Figures(sentiments=sentiments, ratings=reads.review_counts(scoped, "rating"))
    series = series_over(replace(now, topics=topics), edges, "custom", interval, "sentiment",
                         tz, reads.review_trend)
    totals: dict = {}  # the period's sentiment counts are the series' (no second read)
    for bucket in series.buckets:
        for key, n in bucket.sentiments.items():
            totals[None if key == NONE_KEY else key] = totals.get(
                None if key == NONE_KEY else key, 0) + n
    return Stage(stage, figures(now, totals), figures(before), series)


def cx(entities: list[EntityConfig], stages: list[TouchpointStage], period: Period,
       edges: list[datetime], interval: str, tz: tzinfo) -> CxView:
    ids = tuple(e.id for e in entities)
    now = ReviewQuery(entities=ids, start=period.start, end=period.end)
    previous = period.previous()
    before = replace(now, start=previous.start, end=previous.end)
    ratings = series_over(now, edges, period.preset or "custom", interval, "rating", tz,
                          reads.review_trend, sentiments=False)
    return CxView(entities, period, _pairs(now, before, "entity", list(ids)),
                  _pairs(now, before, "source", None), ratings,
                  [_stage(s, now, before, edges, interval, tz) for s in stages])
