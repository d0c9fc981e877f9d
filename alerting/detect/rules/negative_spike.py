"""``negative_spike``: more negative reviews in the current window than history explains.

For each group (or once, ungrouped) the rule compares the negative count in the window
``[now − window, now)`` with the count expected from the baseline period
``[now − baseline, now − window)`` (see ``alerting.detect.baselines``):

- seasonal: the negative rate follows the hour-of-day × day-of-week profile of all reviews,
  fitted on the baseline hours since the group's first stored review and outside declared
  events (``seasonal: false`` gives a flat rate);
- volume: when non-negative reviews in ``volume_window`` (default: the window) run above
  their own expected level, the expected negatives rise by the same factor, so a launch that
  brings more of every review is not a negative spike (the factor never goes below 1);
- calendar: events running now multiply the expectation by their ``scale``;
- expected = max(that, ``EXPECTED_FLOOR``), so 0 against 0 never fires;
- fire when count ≥ ``min_count``, count ≥ ``min_ratio`` × expected and the Poisson upper tail
  P(X ≥ count | expected) < ``p_value``; while the count stays above expected with
  P < ``elevated_p_value`` the rule keeps reporting the group as elevated (``opens=False``),
  which keeps its incident open until the level is back at baseline.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field
from scipy.stats import poisson

from alerting.detect.baselines import SeasonalProfile, history, rate_level
from alerting.detect.explanation import explain_spike
from alerting.detect.rules.base import Firing, Rule
from models.config import Duration, RuleBase
from models.store import ReviewStore

EXPECTED_FLOOR = 0.1
VOLUME_PRIOR = 3.0  # pseudo-count that keeps a few stray reviews from moving the factor
NEGATIVE = ("negative",)
NON_NEGATIVE = ("neutral", "positive")


@dataclass(frozen=True)
class SpikeTest:
    """The numbers behind one decision; all of them end up in the explanation."""
    count: int
    baseline_count: int
    covered: timedelta
    expected: float
    ratio: float
    p_value: float
    factors: dict = field(default_factory=dict)  # seasonal, volume, calendar


def spike_test(count: int, baseline_count: int, covered: timedelta,
               window: timedelta, expected: float | None = None,
               factors: dict | None = None) -> SpikeTest:
    """Decide nothing, compute everything: expected count (a flat rate over ``covered``
    unless given), ratio and Poisson tail."""
    covered = max(covered, window)
    if expected is None:
        expected = baseline_count / covered.total_seconds() * window.total_seconds()
    expected = max(expected, EXPECTED_FLOOR)
    p_value = float(poisson.sf(count - 1, expected))  # sf(k-1) = P(X >= k)
    return SpikeTest(count, baseline_count, covered, expected, count / expected, p_value,
                     factors or {})


class NegativeSpikeConfig(RuleBase):
    """Negative reviews in the current window against the rate expected from a baseline."""
    type: Literal["negative_spike"]
    window: Duration = timedelta(minutes=10)
    baseline: Duration = timedelta(days=7)
    min_count: Annotated[int, Field(ge=1)] = 5
    p_value: Annotated[float, Field(gt=0, lt=0.5)] = 0.001
    min_ratio: Annotated[float, Field(ge=1)] = 2.0
    seasonal: bool = True          # expected count follows hour-of-day and day-of-week
    volume_window: Duration | None = None  # non-negative volume read for the volume factor
    elevated_p_value: Annotated[float, Field(gt=0, lt=1)] = 0.05  # still high: keep firing


class NegativeSpikeRule(Rule):
    config_model = NegativeSpikeConfig
    required_options = frozenset({"window", "baseline", "min_count", "p_value", "min_ratio"})

    def evaluate(self, store: ReviewStore, now: datetime) -> list[Firing]:
        window_start, baseline_start = self.periods(now)
        current = self.groups(store, window_start, now, NEGATIVE)
        firings = []
        for key in sorted(current, key=lambda k: k or ""):
            count = current[key]
            if count < 2:  # one review is never a spike, nor still one
                continue
            test = self.test(store, key, count, baseline_start, now)
            if self.fires(test):
                firings.append(self._firing(store, key, test, now, baseline_start, True))
            elif self.elevated(test):
                firings.append(self._firing(store, key, test, now, baseline_start, False))
        return firings

    def fires(self, test: SpikeTest) -> bool:
        c = self.config
        return (test.count >= c.min_count and test.count >= c.min_ratio * test.expected
                and test.p_value < c.p_value)

    def elevated(self, test: SpikeTest) -> bool:
        return test.count > test.expected and test.p_value < self.config.elevated_p_value

    def test(self, store: ReviewStore, key: str | None, count: int,
             baseline_start: datetime, now: datetime) -> SpikeTest:
        """The decision's numbers for group ``key`` with ``count`` negatives in the window."""
        c = self.config
        window_start = now - c.window
        scope = self.scope(key)
        past = history(store, self.query(key, baseline_start, window_start),
                       baseline_start, window_start, self.context.calendar, scope)
        profile = SeasonalProfile(self.context.timezone, c.seasonal).fit(past.buckets)
        floor = profile.integral(window_start, now)
        negatives = past.negatives()
        seasonal = rate_level(negatives, profile, past.buckets, floor) * floor
        volume = self._volume_factor(store, key, profile, past, now)
        calendar = self.context.calendar.scale(window_start, now, scope)
        covered = timedelta(hours=past.covered_hours)
        return spike_test(count, negatives, covered, c.window, seasonal * volume * calendar,
                          {"seasonal_expected": round(seasonal, 3),
                           "volume_factor": round(volume, 3), "calendar_scale": calendar,
                           "events": [e.name for e in self.context.calendar.covering(
                               window_start, now, scope)],
                           "excluded_event_hours": past.excluded_hours})

    def _volume_factor(self, store: ReviewStore, key: str | None, profile: SeasonalProfile,
                       past, now: datetime) -> float:
        span = self.config.volume_window or self.config.window
        if not past.buckets:
            return 1.0
        weighted = profile.integral(now - span, now)
        level = rate_level(past.total() - past.negatives(), profile, past.buckets, weighted or 1.0)
        expected = level * weighted
        observed = store.count(self.query(key, now - span, now, NON_NEGATIVE))[None]
        return max(1.0, (observed + VOLUME_PRIOR) / (expected + VOLUME_PRIOR))

    def _firing(self, store: ReviewStore, key: str | None, test: SpikeTest, now: datetime,
                baseline_start: datetime, opens: bool) -> Firing:
        c = self.config
        window_start = now - c.window
        if not opens:  # only keeps an incident alive: the peak's explanation stays
            return Firing(rule=self.name, group_key=key or "", at=now, metric=test.count,
                          baseline=test.expected, p_value=test.p_value,
                          window_start=window_start, window_end=now, opens=False)
        explained = explain_spike(
            store, rule=self, group_key=key or "", test=test,
            window_query=self.query(key, window_start, now, NEGATIVE),
            baseline_query=self.query(key, baseline_start, window_start, NEGATIVE),
            facts={"factors": test.factors})
        return self.explained_firing(key or "", now, window_start, test.count, test.expected,
                                     test.p_value, explained)
