"""``rating_drop``: the average star rating over the window falls against the baseline's.

Reads the rated reviews of the window (at most ``SAMPLE``) and the newest ``SAMPLE`` rated
reviews of the baseline period (outside declared events); unrated reviews do not count.
Fire when the window has ≥ ``min_count`` ratings, the average fell by ≥ ``min_drop`` stars and
a one-sided z-test on the difference of means gives p < ``p_value`` (the variance is never
taken below ``MIN_VARIANCE``, so a history of all five-star reviews does not make any dip
"significant").
"""
from __future__ import annotations

from datetime import datetime, timedelta
from statistics import fmean, pvariance
from typing import Annotated, Literal

from pydantic import Field
from scipy.stats import norm

from alerting.detect import wording
from alerting.detect.explanation import explain
from alerting.detect.rules.base import Firing, Rule
from models.config import Duration, RuleBase
from models.review import Review
from models.store import ReviewStore

SAMPLE = 2000
MIN_VARIANCE = 0.25


class RatingDropConfig(RuleBase):
    """The average star rating in the window falls against the baseline's (z-test)."""
    type: Literal["rating_drop"]
    window: Duration = timedelta(hours=1)
    baseline: Duration = timedelta(days=7)
    min_count: Annotated[int, Field(ge=1)] = 5
    min_drop: Annotated[float, Field(gt=0, le=5)] = 1.0
    p_value: Annotated[float, Field(gt=0, lt=0.5)] = 0.001


class RatingDropRule(Rule):
    config_model = RatingDropConfig
    required_options = frozenset({"window", "baseline", "min_count", "min_drop", "p_value"})

    def evaluate(self, store: ReviewStore, now: datetime) -> list[Firing]:
        c = self.config
        window_start, baseline_start = self.periods(now)
        firings = []
        for key in sorted(self.groups(store, window_start, now), key=lambda k: k or ""):
            window = self._rated(store, key, window_start, now)
            if len(window) < c.min_count:
                continue
            scope = self.scope(key)
            past = [r for r in self._rated(store, key, baseline_start, window_start)
                    if not self.context.calendar.excluded(r.published_at, r.published_at,
                                                          scope)]
            if len(past) < c.min_count:
                continue
            now_mean = fmean(r.rating for r in window)
            base_mean = fmean(r.rating for r in past)
            variance = max(pvariance([r.rating for r in past]), MIN_VARIANCE)
            z = (now_mean - base_mean) / (variance / len(window) + variance / len(past)) ** .5
            p_value = float(norm.cdf(z))
            if base_mean - now_mean >= c.min_drop and p_value < c.p_value:
                firings.append(self._firing(store, key, now, baseline_start, window,
                                            now_mean, base_mean, len(past), p_value))
        return firings

    def _rated(self, store: ReviewStore, key: str | None, start: datetime,
               end: datetime) -> list[Review]:
        page = store.search(self.query(key, start, end), limit=SAMPLE)
        return [r for r in page.reviews if r.rating is not None]

    def _firing(self, store: ReviewStore, key: str | None, now: datetime,
                baseline_start: datetime, window: list[Review], now_mean: float,
                base_mean: float, base_n: int, p_value: float) -> Firing:
        c = self.config
        window_start = now - c.window

        def summary(scope: str) -> tuple[str, str]:
            zh = (f"近 {wording.zh_duration(c.window)}平均评分 {now_mean:.1f} 星"
                  f"（{len(window)} 条），基线 {base_mean:.1f} 星")
            en = (f"average rating {now_mean:.1f} stars ({len(window)} reviews) in the last "
                  f"{wording.en_duration(c.window)}, against {base_mean:.1f} in the baseline")
            return wording.scoped(scope if c.group_by else "", zh, en)

        low = sorted(window, key=lambda r: (r.rating, r.published_at))
        explained = explain(
            store, rule=self, group_key=key or "",
            window_query=self.query(key, window_start, now),
            baseline_query=self.query(key, baseline_start, window_start),
            headline=wording.HEADLINES[self.type_name], summary=summary, reviews=low,
            facts={"metric": "average_rating", "average": round(now_mean, 3),
                   "baseline_average": round(base_mean, 3), "count": len(window),
                   "baseline_count": base_n, "p_value": p_value})
        return self.explained_firing(key or "", now, window_start, round(now_mean, 3),
                                     round(base_mean, 3), p_value, explained)
