"""``rating_drop``: the star ratings of recent windows fall against the baseline's.

Ratings are read as a distribution (counts per whole star, ``rating_key``), never as a sample
of reviews: the baseline is ``[now − baseline, now − longest window)`` outside declared
events, hour by hour; unrated reviews do not count.

By default (no ``p_value``) the rule tests the windows ``WINDOWS`` (30 minutes to 4 hours) and
is calibrated to ``false_alarms_per_week`` per group across them and every tick
(``alerting.detect.thresholds.share_threshold``): the low ratings (≤ ``LOW_STARS`` stars) of
a window are beta-binomial among its rated reviews at the baseline's share of low ratings
(the overdispersion from the group's own block-to-block excess of that share plus the
uncertainty of the share), and a window fires at the calibrated threshold. A handful of
ratings is never "significant" on its own: with five of them the threshold is all five low
at a share that makes that rare. The windows share the budget as nested windows do, and low
ratings arrive at the baseline's rate of rated reviews, not at a burst's
(``thresholds.share_rate``).

With ``p_value`` (the setting before calibration; one 1-hour window unless ``window`` is given)
it fires instead on a one-sided z-test of the mean rating against the baseline's (variance
never below ``MIN_VARIANCE``) with p below it.

Either way a firing needs ≥ ``min_count`` rated reviews in the window and an average at
least ``min_drop`` stars below the baseline's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field
from scipy.stats import norm

from alerting.detect import calibration, thresholds, wording
from alerting.detect.explanation import explain
from alerting.detect.rules.base import Firing, Rule
from alerting.detect.thresholds import LOW_STARS
from models.config import Duration, RuleBase
from models.store import ReviewStore

SAMPLE = 2000
MIN_VARIANCE = 0.25
BLOCK = timedelta(hours=calibration.BLOCK_HOURS)  # the baseline is read in blocks this long
WINDOWS = tuple(timedelta(minutes=m) for m in (30, 60, 120, 240))
LEGACY_WINDOW = timedelta(hours=1)


class RatingDropConfig(RuleBase):
    """The star ratings of recent windows against the baseline's distribution."""
    type: Literal["rating_drop"]
    false_alarms_per_week: Annotated[float, Field(gt=0, le=50)] = 0.5
    windows: list[Duration] = []      # tested at once; default 30m, 1h, 2h, 4h
    window: Duration | None = None    # one window only
    baseline: Duration = timedelta(days=7)
    min_count: Annotated[int, Field(ge=1)] = 5
    min_drop: Annotated[float, Field(gt=0, le=5)] = 0.5
    # a per-tick z-test p-value instead of the calibrated budget (before calibration: 0.001)
    p_value: Annotated[float, Field(gt=0, lt=0.5)] | None = None


@dataclass(frozen=True)
class Ratings:
    """Rated reviews per whole star."""
    stars: dict[int, int]

    @classmethod
    def of(cls, counts: dict) -> "Ratings":
        return cls({int(k): n for k, n in counts.items() if k is not None and n})

    @property
    def n(self) -> int:
        return sum(self.stars.values())

    @property
    def low(self) -> int:
        return sum(n for s, n in self.stars.items() if s <= LOW_STARS)

    @property
    def mean(self) -> float:
        return sum(s * n for s, n in self.stars.items()) / self.n if self.n else 0.0

    @property
    def variance(self) -> float:
        mean = self.mean
        return sum(n * (s - mean) ** 2 for s, n in self.stars.items()) / self.n if self.n \
            else 0.0


@dataclass(frozen=True)
class DropTest:
    window: timedelta
    now: Ratings
    base: Ratings
    p_value: float
    strength: float
    calibration: dict


class RatingDropRule(Rule):
    config_model = RatingDropConfig
    required_options = frozenset({"baseline", "min_count", "min_drop",
                                  "false_alarms_per_week"})
    default_windows = WINDOWS
    peaks_later = True
    legacy_window = LEGACY_WINDOW

    def evaluate(self, store: ReviewStore, now: datetime) -> list[Firing]:
        c = self.config
        windows = self.windows
        window_start, baseline_start = self.periods(now)
        budget = thresholds.Budget(c.false_alarms_per_week, len(windows), nested=True)
        firings = []
        for key in sorted(self.groups(store, window_start, now), key=lambda k: k or ""):
            current = {w: Ratings.of(store.count(self.query(key, now - w, now),
                                                 group_by="rating")) for w in windows}
            if max(r.n for r in current.values()) < c.min_count:
                continue
            base, hourly, arrivals = self._baseline(store, key, baseline_start,
                                                    window_start)
            if base.n < c.min_count:
                continue
            share = (base.low + 0.5) / (base.n + 1.0)
            alpha = (thresholds.share_dispersion([h.low for h in hourly],
                                                 [h.n for h in hourly], share, block=1)
                     + 1.0 / (base.low + 1.0))
            tests = [t for w in windows
                     if (t := self._test(w, current[w], base, share, alpha, budget, arrivals))]
            if tests:
                best = min(tests, key=lambda t: t.strength)
                firings.append(self._firing(store, key, now, baseline_start, best))
        return firings

    def _baseline(self, store: ReviewStore, key: str | None, start: datetime,
                  end: datetime) -> tuple[Ratings, list[Ratings], float | None]:
        """The baseline's ratings, in total and block by block of ``BLOCK``, leaving out
        the blocks of declared events, and the rated reviews an hour it holds (from its first
        block on: a young store is not judged by empty days)."""
        events = self.context.calendar
        scope = self.scope(key)
        blocks: dict[datetime, dict] = {}
        for point in store.trend(self.query(key, start, end), BLOCK, group_by="rating"):
            blocks.setdefault(point.bucket, {})[point.key] = point.count
        covering = events.covering(start, end, scope)
        if covering:
            blocks = {b: n for b, n in blocks.items()
                      if not any(e.start < b + BLOCK and b < e.end for e in covering)}
        hourly = [Ratings.of(blocks[b]) for b in sorted(blocks)]
        total: dict[int, int] = {}
        for ratings in hourly:
            for star, n in ratings.stars.items():
                total[star] = total.get(star, 0) + n
        arrivals = None
        if blocks:
            first = max(min(blocks), start)
            left_out = sum((min(e.end, end) - max(e.start, first)) / timedelta(hours=1)
                           for e in covering if e.end > first)
            span = (end - first) / timedelta(hours=1) - left_out
            arrivals = sum(total.values()) / span if span > 0 else None
        return Ratings(total), hourly, arrivals

    def _test(self, window: timedelta, now: Ratings, base: Ratings, share: float,
              alpha: float, budget: thresholds.Budget,
              arrivals: float | None = None) -> DropTest | None:
        c = self.config
        if now.n < c.min_count or base.mean - now.mean < c.min_drop:
            return None
        if c.p_value is not None:
            variance = max(base.variance, MIN_VARIANCE)
            z = (now.mean - base.mean) / (variance / now.n + variance / base.n) ** .5
            p_value = float(norm.cdf(z))
            return DropTest(window, now, base, p_value, p_value, {}) \
                if p_value < c.p_value else None
        test = budget.share_test(now.low, now.n, share, alpha, window, arrivals)
        if test is None:
            return None
        p_value, strength, facts = test
        facts.update(low_stars=LOW_STARS, low=now.low, baseline_low_share=round(share, 4))
        return DropTest(window, now, base, p_value, strength, facts)

    def _firing(self, store: ReviewStore, key: str | None, now: datetime,
                baseline_start: datetime, test: DropTest) -> Firing:
        c = self.config
        window_start = now - test.window
        now_mean, base_mean, n = test.now.mean, test.base.mean, test.now.n

        def summary(scope: str) -> tuple[str, str]:
            zh = (f"近 {wording.zh_duration(test.window)}平均评分 {now_mean:.1f} 星"
                  f"（{n} 条），基线 {base_mean:.1f} 星")
            en = (f"average rating {now_mean:.1f} stars ({n} reviews) in the last "
                  f"{wording.en_duration(test.window)}, against {base_mean:.1f} in the "
                  f"baseline")
            return wording.scoped(scope if c.group_by else "", zh, en)

        window_query = self.query(key, window_start, now)
        rated = [r for r in store.search(window_query, limit=SAMPLE).reviews
                 if r.rating is not None]
        low = sorted(rated, key=lambda r: (r.rating, r.published_at))
        facts = {"metric": "average_rating", "average": round(now_mean, 3),
                 "baseline_average": round(base_mean, 3), "count": n,
                 "baseline_count": test.base.n, "p_value": test.p_value,
                 "distribution": {str(s): v for s, v in sorted(test.now.stars.items())}}
        if test.calibration:
            facts["threshold"] = test.calibration
        explained = explain(
            store, rule=self, group_key=key or "", window_query=window_query,
            baseline_query=self.query(key, baseline_start, window_start),
            headline=wording.HEADLINES[self.type_name], summary=summary, reviews=low,
            facts=facts)
        return self.explained_firing(key or "", now, window_start, round(now_mean, 3),
                                     round(base_mean, 3), test.p_value, explained)
