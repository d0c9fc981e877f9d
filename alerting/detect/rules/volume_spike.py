"""``volume_spike``: all mentions rise sharply (virality) or fall sharply (an outage of
interest, or of the site) against the seasonal rate of ``alerting.detect.baselines``.

Expected = level × hour-of-day/day-of-week profile over the window × the scale of declared
events running, fitted on ``[now − baseline, now − longest window)``.

By default (no ``p_value``) the rule tests the windows ``WINDOWS`` (30 minutes to 2 hours), up
and down, and is calibrated to ``false_alarms_per_week`` per group across them and every tick
(``alerting.detect.thresholds``): the count is negative binomial around the expectation, its
dispersion the group's own day-to-day excess over the profile (real days vary more than a
Poisson process allows) plus the uncertainty of the level; ``up`` fires at the calibrated
upper threshold, ``down`` at or below the calibrated lower one (with a dispersion of at least
``DOWN_DISPERSION``). With ``p_value`` (the setting
before calibration; one 30-minute window unless ``window`` is given) a per-tick Poisson tail
below it decides instead.

Either way ``up`` needs count ≥ ``min_count`` and count ≥ ``min_ratio`` × expected; ``down``
needs expected ≥ ``min_count`` and expected ≥ ``min_ratio`` × count, and never fires during a
declared planned outage.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field
from scipy.stats import poisson

from alerting.detect import calibration, thresholds, wording
from alerting.detect.baselines import SeasonalProfile, history, rate_level
from alerting.detect.explanation import explain
from alerting.detect.rules.base import Firing, Rule
from models.config import Duration, RuleBase
from models.store import ReviewStore

WINDOWS = tuple(timedelta(minutes=m) for m in (30, 60, 120))
# A fall is judged with at least this dispersion: the hour-of-day profile is shrunk towards
# the day's mean, so quiet hours next to busy ones are expected too high (at 05:00 the
# expectation of a brand page ran about 3 × its count), and a fall must be large to mean an
# outage rather than that.
DOWN_DISPERSION = 0.25
LEGACY_WINDOW = timedelta(minutes=30)


class VolumeSpikeConfig(RuleBase):
    """All mentions rise (virality) or fall (outage of interest) against the seasonal rate."""
    type: Literal["volume_spike"]
    false_alarms_per_week: Annotated[float, Field(gt=0, le=50)] = 0.5
    windows: list[Duration] = []      # tested at once; default 30m, 1h, 2h
    window: Duration | None = None    # one window only
    baseline: Duration = timedelta(days=7)
    direction: Literal["up", "down", "both"] = "both"
    min_count: Annotated[int, Field(ge=1)] = 10     # at least this many (up) or expected (down)
    # a per-tick Poisson p-value instead of the calibrated budget (before calibration: 0.001)
    p_value: Annotated[float, Field(gt=0, lt=0.5)] | None = None
    min_ratio: Annotated[float, Field(ge=1)] = 3.0  # count/expected (up) or expected/count


@dataclass(frozen=True)
class VolumeTest:
    window: timedelta
    direction: str
    count: int
    expected: float
    p_value: float
    strength: float
    calibration: dict


class VolumeSpikeRule(Rule):
    config_model = VolumeSpikeConfig
    required_options = frozenset({"baseline", "min_count", "min_ratio", "direction",
                                  "false_alarms_per_week"})
    default_windows = WINDOWS
    peaks_later = True
    legacy_window = LEGACY_WINDOW

    def evaluate(self, store: ReviewStore, now: datetime) -> list[Firing]:
        c = self.config
        windows = self.windows
        window_start, baseline_start = self.periods(now)
        current = {w: self.groups(store, now - w, now) for w in windows}
        keys = {k for counts in current.values() for k in counts}
        if self.group_by is None:
            keys = {None}
        elif c.direction != "up":  # a group that went silent has no count in the window
            keys |= set(self.groups(store, baseline_start, window_start))
        directions = ("up", "down") if c.direction == "both" else (c.direction,)
        budget = thresholds.Budget(c.false_alarms_per_week, len(windows) * len(directions))
        firings = []
        for key in sorted(keys, key=lambda k: k or ""):
            scope = self.scope(key)
            past = history(store, self.query(key, baseline_start, window_start),
                           baseline_start, window_start, self.context.calendar, scope)
            if not past.buckets:
                continue
            profile = SeasonalProfile(self.context.timezone).fit(past.buckets)
            alpha = thresholds.seasonal_dispersion(profile, past) + 1.0 / (past.total() + 1.0)
            tests = []
            for window in windows:
                start = now - window
                weighted = profile.integral(start, now)
                expected = (rate_level(past.total(), profile, past.buckets, weighted)
                            * weighted * self.context.calendar.scale(start, now, scope))
                count = current[window].get(key, 0)
                for direction in directions:
                    if direction == "down" and self.context.calendar.outage(start, now, scope):
                        continue
                    test = self._test(window, direction, count, expected, alpha, budget)
                    if test is not None:
                        tests.append(test)
            if tests:
                best = min(tests, key=lambda t: t.strength)
                firings.append(self._firing(store, key, now, baseline_start, best))
        return firings

    def _test(self, window: timedelta, direction: str, count: int, expected: float,
              alpha: float, budget: thresholds.Budget) -> VolumeTest | None:
        c = self.config
        if direction == "up":
            if count < c.min_count or count < c.min_ratio * expected:
                return None
        elif expected < c.min_count or expected < c.min_ratio * count:
            return None
        if c.p_value is not None:
            p_value = float(poisson.sf(count - 1, expected) if direction == "up"
                            else poisson.cdf(count, expected))
            return VolumeTest(window, direction, count, expected, p_value, p_value, {}) \
                if p_value < c.p_value else None
        mean, hours = max(expected, thresholds.EXPECTED_FLOOR), thresholds.hours(window)
        if direction == "up":
            k = thresholds.upper_threshold(mean, alpha, window, budget.each)
            if count < k:
                return None
            rate = calibration.crossing_rate(count, mean, alpha, hours)
            p_value = calibration.tail(count, mean, alpha)
        else:
            alpha = max(alpha, DOWN_DISPERSION)
            k = thresholds.lower_threshold(mean, alpha, hours, budget.each)
            if count > k:
                return None
            rate = thresholds.lower_rate(count, mean, alpha, hours)
            p_value = 1.0 - calibration.tail(count + 1, mean, alpha)
        return VolumeTest(window, direction, count, expected, p_value, rate / budget.each,
                          budget.facts(k, alpha, expected))

    def _firing(self, store: ReviewStore, key: str | None, now: datetime,
                baseline_start: datetime, test: VolumeTest) -> Firing:
        c = self.config
        window_start = now - test.window
        count, expected, direction = test.count, test.expected, test.direction

        def summary(scope: str) -> tuple[str, str]:
            verb, verb_en = ("激增", "rose to") if direction == "up" else ("骤降", "fell to")
            zh = (f"近 {wording.zh_duration(test.window)}评论量{verb}至 {count} 条，"
                  f"基线预期 {expected:.1f} 条")
            en = (f"reviews {verb_en} {count} in the last "
                  f"{wording.en_duration(test.window)}, against {expected:.1f} expected")
            return wording.scoped(scope if c.group_by else "", zh, en)

        facts = {"metric": "reviews", "direction": direction, "count": count,
                 "expected": round(expected, 3), "p_value": test.p_value}
        if test.calibration:
            facts["threshold"] = test.calibration
        explained = explain(
            store, rule=self, group_key=key or "",
            window_query=self.query(key, window_start, now),
            baseline_query=self.query(key, baseline_start, window_start),
            headline=wording.HEADLINES[self.type_name], summary=summary, facts=facts)
        return self.explained_firing(key or "", now, window_start, count,
                                     round(expected, 3), test.p_value, explained)
