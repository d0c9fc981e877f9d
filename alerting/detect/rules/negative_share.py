"""``negative_share``: the share of negative reviews in the window rises significantly above
the baseline's share.

Baseline share p0 = negatives / reviews over ``[now − baseline, now − window)`` outside
declared events (with one pseudo-review of each kind, so an empty or all-positive history is
not a share of exactly 0). Fire when the window has ≥ ``min_count`` negatives, its share is at
least ``min_increase`` above p0 and the binomial upper tail P(X ≥ negatives | reviews, p0) is
below ``p_value``. Volume changes alone never fire it: the share is what it watches.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field
from scipy.stats import binom

from alerting.detect import wording
from alerting.detect.baselines import history
from alerting.detect.explanation import explain
from alerting.detect.rules.base import Firing, Rule
from models.config import Duration, RuleBase
from models.store import ReviewStore

NEGATIVE = ("negative",)


class NegativeShareConfig(RuleBase):
    """The share of negative reviews in the window against the baseline share (binomial)."""
    type: Literal["negative_share"]
    window: Duration = timedelta(minutes=30)
    baseline: Duration = timedelta(days=7)
    min_count: Annotated[int, Field(ge=1)] = 5
    p_value: Annotated[float, Field(gt=0, lt=0.5)] = 0.001
    min_increase: Annotated[float, Field(ge=0, lt=1)] = 0.15  # share points above baseline


class NegativeShareRule(Rule):
    config_model = NegativeShareConfig
    required_options = frozenset({"window", "baseline", "min_count", "p_value",
                                  "min_increase"})

    def evaluate(self, store: ReviewStore, now: datetime) -> list[Firing]:
        c = self.config
        window_start, baseline_start = self.periods(now)
        negatives = self.groups(store, window_start, now, NEGATIVE)
        firings = []
        for key in sorted(negatives, key=lambda k: k or ""):
            count = negatives[key]
            if count < c.min_count:
                continue
            total = store.count(self.query(key, window_start, now))[None]
            past = history(store, self.query(key, baseline_start, window_start),
                           baseline_start, window_start, self.context.calendar,
                           self.scope(key))
            base = (past.negatives() + 1) / (past.total() + 2)
            share = count / total
            p_value = float(binom.sf(count - 1, total, base))
            if share - base >= c.min_increase and p_value < c.p_value:
                firings.append(self._firing(store, key, now, baseline_start, count, total,
                                            share, base, p_value))
        return firings

    def _firing(self, store: ReviewStore, key: str | None, now: datetime,
                baseline_start: datetime, count: int, total: int, share: float,
                base: float, p_value: float) -> Firing:
        c = self.config
        window_start = now - c.window

        def summary(scope: str) -> tuple[str, str]:
            zh = (f"近 {wording.zh_duration(c.window)}负面评论占比 {share:.0%}"
                  f"（{count}/{total}），基线 {base:.0%}")
            en = (f"negative share {share:.0%} ({count}/{total}) in the last "
                  f"{wording.en_duration(c.window)}, against {base:.0%} in the baseline")
            return wording.scoped(scope if c.group_by else "", zh, en)

        explained = explain(
            store, rule=self, group_key=key or "",
            window_query=self.query(key, window_start, now, NEGATIVE),
            baseline_query=self.query(key, baseline_start, window_start, NEGATIVE),
            headline=wording.HEADLINES[self.type_name], summary=summary,
            facts={"metric": "negative_share", "share": round(share, 4),
                   "baseline_share": round(base, 4), "count": count, "reviews_total": total,
                   "p_value": p_value})
        return self.explained_firing(key or "", now, window_start, round(share, 4),
                                     round(base, 4), p_value, explained)
