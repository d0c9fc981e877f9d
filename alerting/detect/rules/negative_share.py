"""``negative_share``: the share of negative reviews in recent windows rises above the
baseline's share.

Baseline share p0 = negatives / reviews over ``[now − baseline, now − longest window)``
outside declared events (with one pseudo-review of each kind, so an empty or all-positive
history is not a share of exactly 0). In each window the negatives are compared with
p0 × the window's reviews: the volume is read off the window itself, so a change of volume
alone never fires it.

By default (no ``p_value``) the rule tests the windows ``WINDOWS`` (30 minutes to 8 hours: at
a few reviews an hour a share needs hours of reviews to tell from chance) at once and is
calibrated to ``false_alarms_per_week`` per group across windows and ticks
(``alerting.detect.thresholds.share_threshold``): the negatives are beta-binomial among the
window's reviews at p0, with the group's own block-to-block excess of its share plus the
uncertainty of p0 as the overdispersion, and a window fires at the calibrated threshold. The
windows are nested (each about twice the last) and share the budget as ``negative_spike``'s
do; a crossing needs a negative review to arrive, and negatives arrive at the baseline's
rate, not at a burst's (``thresholds.share_rate``): a short burst that packs hours of
reviews into minutes is judged by how often a calm week could produce that share.
With ``p_value`` (the setting before calibration; one 30-minute window unless ``window`` is
given) it fires on a per-tick binomial tail below it instead.

Either way a firing needs ≥ ``min_count`` negatives and a share at least ``min_increase``
above p0; the most significant window firing is the one reported.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field
from scipy.stats import binom

from alerting.detect import thresholds, wording
from alerting.detect.baselines import history
from alerting.detect.explanation import explain
from alerting.detect.rules.base import Firing, Rule
from models.config import Duration, RuleBase
from models.store import ReviewStore

NEGATIVE = ("negative",)
WINDOWS = tuple(timedelta(minutes=m) for m in (30, 60, 120, 240, 480))
LEGACY_WINDOW = timedelta(minutes=30)


class NegativeShareConfig(RuleBase):
    """The share of negative reviews in recent windows against the baseline share."""
    type: Literal["negative_share"]
    false_alarms_per_week: Annotated[float, Field(gt=0, le=50)] = 0.5
    windows: list[Duration] = []      # tested at once; default 30m, 1h, 2h, 4h, 8h
    window: Duration | None = None    # one window only
    baseline: Duration = timedelta(days=7)
    min_count: Annotated[int, Field(ge=1)] = 5
    # a per-tick binomial p-value instead of the calibrated budget (before calibration: 0.001)
    p_value: Annotated[float, Field(gt=0, lt=0.5)] | None = None
    min_increase: Annotated[float, Field(ge=0, lt=1)] = 0.15  # share points above baseline


@dataclass(frozen=True)
class ShareTest:
    window: timedelta
    count: int
    total: int
    share: float
    base: float
    p_value: float
    strength: float              # smaller is stronger
    calibration: dict


class NegativeShareRule(Rule):
    config_model = NegativeShareConfig
    required_options = frozenset({"baseline", "min_count", "min_increase",
                                  "false_alarms_per_week"})
    default_windows = WINDOWS
    peaks_later = True
    legacy_window = LEGACY_WINDOW

    def evaluate(self, store: ReviewStore, now: datetime) -> list[Firing]:
        c = self.config
        windows = self.windows
        negatives = {w: self.groups(store, now - w, now, NEGATIVE) for w in windows}
        keys = {k for counts in negatives.values() for k, n in counts.items()
                if n >= c.min_count}
        window_start, baseline_start = self.periods(now)
        budget = thresholds.Budget(c.false_alarms_per_week, len(windows), nested=True)
        firings = []
        for key in sorted(keys, key=lambda k: k or ""):
            past = history(store, self.query(key, baseline_start, window_start),
                           baseline_start, window_start, self.context.calendar,
                           self.scope(key))
            base = (past.negatives() + 1) / (past.total() + 2)
            alpha = (thresholds.share_dispersion([b.negative for b in past.buckets],
                                                 [b.total for b in past.buckets], base)
                     + 1.0 / (past.negatives() + 1.0))
            arrivals = past.total() / past.covered_hours if past.covered_hours else None
            tests = []
            for window in windows:
                count = negatives[window].get(key, 0)
                if count < c.min_count:
                    continue
                total = store.count(self.query(key, now - window, now))[None]
                test = self._test(window, count, total, base, alpha, budget, arrivals)
                if test is not None:
                    tests.append(test)
            if tests:
                best = min(tests, key=lambda t: t.strength)
                firings.append(self._firing(store, key, now, baseline_start, best))
        return firings

    def _test(self, window: timedelta, count: int, total: int, base: float, alpha: float,
              budget: thresholds.Budget, arrivals: float | None) -> ShareTest | None:
        c = self.config
        share = count / total
        if share - base < c.min_increase:
            return None
        if c.p_value is not None:
            p_value = float(binom.sf(count - 1, total, base))
            return ShareTest(window, count, total, share, base, p_value, p_value, {}) \
                if p_value < c.p_value else None
        test = budget.share_test(count, total, base, alpha, window, arrivals)
        return ShareTest(window, count, total, share, base, *test) if test else None

    def _firing(self, store: ReviewStore, key: str | None, now: datetime,
                baseline_start: datetime, test: ShareTest) -> Firing:
        c = self.config
        window_start = now - test.window
        share, base, count, total = test.share, test.base, test.count, test.total

        def summary(scope: str) -> tuple[str, str]:
            zh = (f"近 {wording.zh_duration(test.window)}负面评论占比 {share:.0%}"
                  f"（{count}/{total}），基线 {base:.0%}")
            en = (f"negative share {share:.0%} ({count}/{total}) in the last "
                  f"{wording.en_duration(test.window)}, against {base:.0%} in the baseline")
            return wording.scoped(scope if c.group_by else "", zh, en)

        facts = {"metric": "negative_share", "share": round(share, 4),
                 "baseline_share": round(base, 4), "count": count, "reviews_total": total,
                 "p_value": test.p_value}
        if test.calibration:
            facts["threshold"] = test.calibration
        explained = explain(
            store, rule=self, group_key=key or "",
            window_query=self.query(key, window_start, now, NEGATIVE),
            baseline_query=self.query(key, baseline_start, window_start, NEGATIVE),
            headline=wording.HEADLINES[self.type_name], summary=summary, facts=facts)
        return self.explained_firing(key or "", now, window_start, round(share, 4),
                                     round(base, 4), test.p_value, explained)
