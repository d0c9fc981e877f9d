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
  tested at the tick by water-filling (``water_level``: a candidate its floors already make
  rare costs only what they let through);
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


def without_outages(profile: SeasonalProfile, past: History) -> History:
    """``past`` without its blocks of ``calibration.BLOCK_HOURS`` hours that are empty where
    a working source almost surely brings reviews (``is_outage``: it was down, not slow).
    The top blocks are trimmed from the dispersion as past bursts already; for a rule that
    judges falls the source's
    own past outages are not how a working source varies either, nor its level: a 24-hour
    outage in the baseline week took ``α`` from about 0.05 to 0.2 and the level down by a
    sixth, which doubled the gap a silence needed to be seen."""
    buckets = past.buckets
    if not buckets:
        return past
    level = rate_level(past.total(), profile, buckets, 1.0)
    expected = (level * profile.columns(buckets)[2] * profile.bucket_weights(buckets)).tolist()
    size = calibration.BLOCK_HOURS
    kept = [b for i in range(0, len(buckets), size)
            if not is_outage(sum(b.total for b in buckets[i:i + size]),
                             sum(expected[i:i + size]))
            for b in buckets[i:i + size]]
    return past if len(kept) == len(buckets) else History(kept, past.excluded_hours)


def is_outage(observed: float, expected: float,
              alpha: float = calibration.DISPERSION_PRIOR) -> bool:
    """A history block with no review where a working source almost surely brings one
    (P(0) below ``calibration.EXCESS_P``). Only empty blocks: a block that is merely low
    may be the profile expecting too much (nights), and dropping it would make the profile
    expect more still."""
    return observed == 0 and 1.0 - calibration.tail(1, expected, alpha) < calibration.EXCESS_P


class Budget:
    """A rule's ``false_alarms_per_week`` spread evenly over ``tests`` (windows × directions,
    or candidates at a tick); ``nested`` windows (each about twice the last) share it as
    ``negative_spike``'s do (``calibration.window_budget``: they see largely the same
    excursions, so a plain union bound leaves most of it unspent)."""

    def __init__(self, per_week: float, tests: int, nested: bool = False):
        self.per_week = per_week
        self.tests = max(1, tests)
        self.nested = nested

    @property
    def each(self) -> float:
        if self.nested:
            return calibration.window_budget(self.per_week, self.tests)
        return self.per_week / self.tests

    def facts(self, threshold: int, alpha: float, expected: float) -> dict:
        """The calibration facts an explanation shows."""
        return {"false_alarms_per_week": self.per_week, "tests": self.tests,
                "budget_per_test": round(self.each, 5), "threshold": threshold,
                "dispersion": round(alpha, 4), "expected": round(expected, 3)}

    def share_test(self, count: int, n: int, share: float, alpha: float,
                   window: timedelta, arrivals: float | None = None
                   ) -> tuple[float, float, dict] | None:
        """The calibrated test of ``count`` of a window's ``n`` reviews at the baseline
        ``share`` (``arrivals``: see ``share_rate``): None below ``share_threshold``, else
        ``(p_value, strength, facts)``, the binomial p-value shown, the crossing rate as a
        share of this test's budget (smaller is stronger) and the explanation's facts."""
        k = share_threshold(n, share, alpha, window, self.each, arrivals)
        if count < k:
            return None
        rate = share_rate(count, n, share, alpha, _crossing_hours(window, n, arrivals))
        facts = self.facts(k, alpha, share * n)
        if arrivals is not None:
            facts["arrivals_per_hour"] = round(arrivals, 3)
        return float(binom.sf(count - 1, n, share)), rate / self.each, facts


def _crossing_hours(window: timedelta, n: int, arrivals: float | None) -> float:
    """The window length ``share_rate`` divides ``n`` by: the window's own when no usual
    arrival rate is known (or the window holds fewer reviews than it brings), else the
    hours in which the group's reviews usually bring ``n``."""
    own = hours(window)
    if arrivals is None or arrivals <= 0 or n <= 0 or n / own <= arrivals:
        return own
    return n / arrivals


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
    the other ``n − 1`` hold ``count − 1`` of them, in clumps at ``1 − μ / count``.

    Reviews of the kind arrive at that rate only while the window's volume lasts: a burst
    that packs a day's reviews into half an hour does not make a calm week's arrivals
    come 20 times as often. ``share_threshold`` and ``Budget.share_test`` therefore take the
    group's usual arrival rate (reviews an hour, from its baseline) and, when the window
    holds more than that rate brings, pass as ``window_hours`` the time the usual rate takes
    to bring ``n`` (``_crossing_hours``): the arrivals of a week are those of the baseline."""
    mean = share * n
    if count <= mean or count > n:
        return math.inf if count <= mean else 0.0
    pmf = math.exp(float(_share_logpmf(np.array([count - 1]), n - 1, share, alpha)[0]))
    return WEEK_HOURS * mean / window_hours * (1.0 - mean / count) * pmf


def share_threshold(n: int, share: float, alpha: float, window: timedelta,
                    budget: float, arrivals: float | None = None) -> int:
    """The smallest count of the window's ``n`` reviews whose false crossings per week stay
    within ``budget`` (``n + 1``: none can); ``arrivals``: the group's usual reviews an hour
    (see ``share_rate``)."""
    mean = share * n
    if n < 1:
        return 1
    ks = np.arange(int(math.floor(mean)) + 1, n + 1)
    if not len(ks):
        return n + 1
    return calibration.lowest_within(ks, _share_logpmf(ks - 1, n - 1, share, alpha), mean,
                                     _crossing_hours(window, n, arrivals), budget, n + 1)


def floor_rates(levels: list[int], means: list[float], alphas: list[float],
                window_hours: float) -> np.ndarray:
    """``calibration.crossing_rate`` of each candidate at its level (``inf`` at or below its
    mean), all at once: a window tests hundreds of terms at every tick."""
    ks = np.asarray(levels, dtype=float)
    mean = np.asarray(means, dtype=float)
    n = 1.0 / np.maximum(np.asarray(alphas, dtype=float), 1e-6)
    below = ks - 1
    log_pmf = (gammaln(below + n) - gammaln(n) - gammaln(below + 1)
               + n * np.log(n / (n + mean)) + below * np.log(mean / (n + mean)))
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = WEEK_HOURS * mean / window_hours * (1.0 - mean / ks) * np.exp(log_pmf)
    return np.where(ks > mean, rates, np.inf)


def water_level(rates, budget: float) -> float:
    """The level ``x`` at which ``Σ min(rate, x)`` is ``budget``: each test may use ``x``
    and one whose own rate is below it costs only that rate (a union bound that gives what
    the cheap tests leave to the others); ``budget`` itself when every rate fits in it."""
    ordered = np.sort(np.asarray(rates, dtype=float))
    spent = 0.0
    for i, rate in enumerate(ordered):
        left = len(ordered) - i
        if spent + left * rate >= budget:
            return (budget - spent) / left
        spent += rate
    return budget
