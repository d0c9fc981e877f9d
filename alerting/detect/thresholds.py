"""The false-alarm budget of ``alerting.detect.calibration`` for the other rule types.

``negative_spike`` holds each group's false incidents per week to ``false_alarms_per_week``
(``calibration.threshold``: the rate at which a sliding window's count crosses a level). The
other counting rules use the same budget with the statistic right for each:

- ``negative_share``: negatives among the window's ``n`` reviews, binomial at the baseline
  share (the volume is read off the window, so it alone never fires), beta-binomial with the
  group's history of share excess as overdispersion (``share_threshold``: a crossing is a
  negative review arriving while the others hold one fewer than the threshold);
- ``volume_spike`` up, and its fall (``lower_threshold``): the seasonal count;
- ``rating_drop``: low ratings (≤ ``LOW_STARS``) among the window's rated reviews against the
  baseline's share of low ratings, as a share (the rating distribution, not a mean of five
  numbers);
- ``emerging_topic``: the reviews using a term or topic, the budget shared by every candidate
  tested at the tick;
- ``source_silent`` (``lower_threshold``): the seasonal count of a source falling to a level
  a working source reaches less often than the budget allows.

A fall mirrors a rise: by reversibility of the arrivals and departures of a sliding window,
the count drops to ``k`` from ``k + 1`` at the rate it rises from ``k`` to ``k + 1``, i.e.
``(μ / w) · P(X = k)`` per hour, in clumps at ``1 − k / μ`` of that. The lower threshold is
the largest ``k`` below the mean whose rate is within the budget (−1: no level is).

``Budget`` spreads a rule's budget over the windows and directions it tests (a plain union
bound; ``negative_spike``'s nested windows share theirs by ``calibration.window_budget``,
which spends more of it), and ``share_dispersion`` estimates how much more a
share varies from block to block of history than a binomial would.
"""
from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
from scipy.special import betaln, gammaln
from scipy.stats import binom

from alerting.detect import calibration
from alerting.detect.baselines import History, SeasonalProfile, rate_level
from alerting.detect.calibration import WEEK_HOURS, _logpmf

LOW_STARS = 2  # a rating of this many stars or fewer is a complaint
EXPECTED_FLOOR = 0.05  # a mean never taken below this (0 against 0 never fires)


def lower_rate(count: int, mean: float, alpha: float, window_hours: float) -> float:
    """False alarms per week of "the window's count fell to ``count`` or below"."""
    if count < 0:
        return 0.0
    if count >= mean:
        return math.inf
    pmf = math.exp(float(_logpmf(np.array([count]), mean, alpha)[0]))
    return WEEK_HOURS * mean / window_hours * (1.0 - count / mean) * pmf


def lower_threshold(mean: float, alpha: float, window_hours: float, budget: float) -> int:
    """The largest count ``k < mean`` such that firing at ``count <= k`` stays within
    ``budget`` false alarms per week (every level below it too); −1 when even an empty
    window is too common to mean anything."""
    levels = np.arange(0, int(math.ceil(mean)))
    if not len(levels):
        return -1
    log_rates = (math.log(WEEK_HOURS * mean / window_hours) + np.log1p(-levels / mean)
                 + _logpmf(levels, mean, alpha))
    over = np.nonzero(log_rates > math.log(budget))[0]
    return int(over[0]) - 1 if len(over) else int(levels[-1])


def upper_threshold(mean: float, alpha: float, window: timedelta, budget: float) -> int:
    """``calibration.threshold`` for a window given as a duration."""
    return calibration.threshold(max(mean, EXPECTED_FLOOR), alpha, hours(window), budget)


def hours(window: timedelta) -> float:
    return window / timedelta(hours=1)


def share_dispersion(observed: list[float], totals: list[float], share: float,
                     block: int = calibration.BLOCK_HOURS) -> float:
    """α of counts that are a ``share`` of ``totals``, from paired hourly history (in blocks
    of ``block`` values, the most excessive trimmed, shrunk to the prior)."""
    if not observed:
        return calibration.DISPERSION_PRIOR
    return calibration.dispersion(calibration.blocks(observed, block),
                                  calibration.blocks([share * t for t in totals], block))


def seasonal_dispersion(profile: SeasonalProfile, past: History) -> float:
    """α of a history's hourly counts around its seasonal profile (blocks of hours): the
    overdispersion of a count rule (``volume_spike``, ``source_silent``)."""
    level = rate_level(past.total(), profile, past.buckets, 1.0)
    expected = (level * profile.columns(past.buckets)[2]
                * profile.bucket_weights(past.buckets)).tolist()
    return calibration.dispersion(calibration.blocks([b.total for b in past.buckets]),
                                  calibration.blocks(expected))


class Budget:
    """A rule's ``false_alarms_per_week`` spread evenly over ``tests`` (windows × directions,
    or candidates at a tick)."""

    def __init__(self, per_week: float, tests: int):
        self.per_week = per_week
        self.tests = max(1, tests)

    @property
    def each(self) -> float:
        return self.per_week / self.tests

    def facts(self, threshold: int, alpha: float, expected: float) -> dict:
        """The calibration facts an explanation shows."""
        return {"false_alarms_per_week": self.per_week, "tests": self.tests,
                "budget_per_test": round(self.each, 5), "threshold": threshold,
                "dispersion": round(alpha, 4), "expected": round(expected, 3)}

    def share_test(self, count: int, n: int, share: float, alpha: float,
                   window: timedelta) -> tuple[float, float, dict] | None:
        """The calibrated test of ``count`` of a window's ``n`` reviews at the baseline
        ``share``: None below ``share_threshold``, else ``(p_value, strength, facts)``, the
        binomial p-value shown, the crossing rate as a share of this test's budget (smaller
        is stronger) and the explanation's facts."""
        k = share_threshold(n, share, alpha, window, self.each)
        if count < k:
            return None
        rate = share_rate(count, n, share, alpha, hours(window))
        return (float(binom.sf(count - 1, n, share)), rate / self.each,
                self.facts(k, alpha, share * n))


def _share_logpmf(ks: np.ndarray, n: int, share: float, alpha: float) -> np.ndarray:
    """log P(X = k) of a share ``share`` of ``n`` reviews: binomial, or beta-binomial when
    the share itself varies (intra-class correlation ρ = α·p/(1−p), which adds the excess
    variance α·μ² of the negative binomial at the same mean)."""
    ks = np.asarray(ks, dtype=float)
    p = min(max(share, 1e-9), 1 - 1e-9)
    rho = min(alpha * p / (1 - p), 0.999)
    log_choose = gammaln(n + 1) - gammaln(ks + 1) - gammaln(n - ks + 1)
    if rho <= 1e-9:
        return log_choose + ks * math.log(p) + (n - ks) * math.log1p(-p)
    a, b = p * (1 / rho - 1), (1 - p) * (1 / rho - 1)
    return (log_choose + betaln(ks + a, n - ks + b) - betaln(a, b))


def share_rate(count: int, n: int, share: float, alpha: float, window_hours: float) -> float:
    """False alarms per week at ``count`` of the window's ``n`` reviews by a sliding window:
    a crossing is a review of the kind arriving (at ``share`` × ``n`` / ``w`` an hour) while
    the other ``n − 1`` hold ``count − 1`` of them, in clumps at ``1 − μ / count``."""
    mean = share * n
    if count <= mean or count > n:
        return math.inf if count <= mean else 0.0
    pmf = math.exp(float(_share_logpmf(np.array([count - 1]), n - 1, share, alpha)[0]))
    return WEEK_HOURS * mean / window_hours * (1.0 - mean / count) * pmf


def share_threshold(n: int, share: float, alpha: float, window: timedelta,
                    budget: float) -> int:
    """The smallest count of the window's ``n`` reviews whose false crossings per week stay
    within ``budget`` (``n + 1``: none can)."""
    mean = share * n
    if n < 1:
        return 1
    ks = np.arange(int(math.floor(mean)) + 1, n + 1)
    if not len(ks):
        return n + 1
    return calibration.lowest_within(ks, _share_logpmf(ks - 1, n - 1, share, alpha), mean,
                                     hours(window), budget, n + 1)
