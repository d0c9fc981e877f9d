"""``volume_spike``: all mentions rise sharply (virality) or fall sharply (an outage of
interest, or of the site) against the seasonal rate of ``alerting.detect.baselines``.

Expected = level × hour-of-day/day-of-week profile over the window × the scale of declared
events running. ``up`` fires when count ≥ ``min_count``, count ≥ ``min_ratio`` × expected and
P(X ≥ count) < ``p_value``; ``down`` when expected ≥ ``min_count``, expected ≥ ``min_ratio`` ×
count and P(X ≤ count) < ``p_value``, except during a declared planned outage.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field
from scipy.stats import poisson

from alerting.detect import wording
from alerting.detect.baselines import SeasonalProfile, history, rate_level
from alerting.detect.explanation import explain
from alerting.detect.rules.base import Firing, Rule
from models.config import Duration, RuleBase
from models.store import ReviewStore


class VolumeSpikeConfig(RuleBase):
    """All mentions rise (virality) or fall (outage of interest) against the seasonal rate."""
    type: Literal["volume_spike"]
    window: Duration = timedelta(minutes=30)
    baseline: Duration = timedelta(days=7)
    direction: Literal["up", "down", "both"] = "both"
    min_count: Annotated[int, Field(ge=1)] = 10     # at least this many (up) or expected (down)
    p_value: Annotated[float, Field(gt=0, lt=0.5)] = 0.001
    min_ratio: Annotated[float, Field(ge=1)] = 3.0  # count/expected (up) or expected/count


class VolumeSpikeRule(Rule):
    config_model = VolumeSpikeConfig
    required_options = frozenset({"window", "baseline", "min_count", "p_value", "min_ratio",
                                  "direction"})

    def evaluate(self, store: ReviewStore, now: datetime) -> list[Firing]:
        c = self.config
        window_start, baseline_start = self.periods(now)
        current = self.groups(store, window_start, now)
        keys = set(current)
        if c.group_by is None:
            keys = {None}
        elif c.direction != "up":  # a group that went silent has no count in the window
            keys |= set(self.groups(store, baseline_start, window_start))
        firings = []
        for key in sorted(keys, key=lambda k: k or ""):
            count = current.get(key, 0)
            scope = self.scope(key)
            past = history(store, self.query(key, baseline_start, window_start),
                           baseline_start, window_start, self.context.calendar, scope)
            if not past.buckets:
                continue
            profile = SeasonalProfile(self.context.timezone).fit(past.buckets)
            weighted = profile.integral(window_start, now)
            expected = (rate_level(past.total(), profile, past.buckets, weighted) * weighted
                        * self.context.calendar.scale(window_start, now, scope))
            up = float(poisson.sf(count - 1, expected))
            down = float(poisson.cdf(count, expected))
            if (c.direction in ("up", "both") and count >= c.min_count
                    and count >= c.min_ratio * expected and up < c.p_value):
                firings.append(self._firing(store, key, now, baseline_start, count,
                                            expected, up, "up"))
            elif (c.direction in ("down", "both") and expected >= c.min_count
                  and expected >= c.min_ratio * count and down < c.p_value
                  and not self.context.calendar.outage(window_start, now, scope)):
                firings.append(self._firing(store, key, now, baseline_start, count,
                                            expected, down, "down"))
        return firings

    def _firing(self, store: ReviewStore, key: str | None, now: datetime,
                baseline_start: datetime, count: int, expected: float, p_value: float,
                direction: str) -> Firing:
        c = self.config
        window_start = now - c.window

        def summary(scope: str) -> tuple[str, str]:
            verb, verb_en = ("激增", "rose to") if direction == "up" else ("骤降", "fell to")
            zh = (f"近 {wording.zh_duration(c.window)}评论量{verb}至 {count} 条，"
                  f"基线预期 {expected:.1f} 条")
            en = (f"reviews {verb_en} {count} in the last {wording.en_duration(c.window)}, "
                  f"against {expected:.1f} expected")
            return wording.scoped(scope if c.group_by else "", zh, en)

        explained = explain(
            store, rule=self, group_key=key or "",
            window_query=self.query(key, window_start, now),
            baseline_query=self.query(key, baseline_start, window_start),
            headline=wording.HEADLINES[self.type_name], summary=summary,
            facts={"metric": "reviews", "direction": direction, "count": count,
                   "expected": round(expected, 3), "p_value": p_value})
        return self.explained_firing(key or "", now, window_start, count,
                                     round(expected, 3), p_value, explained)
