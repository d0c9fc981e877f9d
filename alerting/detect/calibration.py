"""Thresholds calibrated to a false-alarm budget: expected false incidents per week per group.

Counts of real reviews are overdispersed: days differ more than a Poisson process allows
(weather, news, a slow app store), and a baseline estimated from a few hundred reviews is
itself uncertain. A window's count is therefore modelled as negative binomial with mean ``μ``
and variance ``μ + α μ²``; ``α`` is the group's own day-to-day excess (``dispersion``,
estimated from its history) plus the relative uncertainty of its baseline (``1 / N`` for
``N`` negatives behind the estimate).

A rule watching a sliding window continuously raises a false alarm each time the count
*crosses* its threshold ``k``. Under the null model a crossing happens when a review arrives
while the window holds ``k − 1``: at rate ``(μ / w) · P(X = k − 1)`` per hour for a window of
``w`` hours; crossings come in clumps (the count dips and crosses again within one
excursion), and the rate of clumps is that times ``1 − μ / k`` (Alm's approximation for the
scan statistic). That counts every detection tick at once (ticks more frequent than arrivals
cannot add crossings), which a per-tick p-value does not. With ``K`` windows tested per
group, each gets ``2 / K`` of the budget (``window_budget``): nested windows about twice each
other's length see largely the same excursions, and a plain union bound (``1 / K`` each) left
most of the budget unspent (a simulated Poisson null with six windows and 1-minute ticks spent
a fifth to a third of it, the integer thresholds taking more). The threshold is the smallest
``k`` whose crossing rate is within the window's share at every moment, so the false-alarm
rate summed over a week stays near the budget when the count model holds; overdispersion the
history does not show (a share that swings from day to day, read from three days) is what can
push it over. Windows tested together pool what their integer thresholds (and a rule's own
floors) leave of their shares (``pooled_thresholds``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist, median

import numpy as np
from scipy.special import betainc, gammaln, pdtrc

WEEK_HOURS = 168.0
DISPERSION_PRIOR = 0.02   # α before a group's history says otherwise (about 14% day-to-day sd)
PRIOR_WEIGHT = 50.0       # how much history (in Σμ² units) it takes to move α from the prior
BLOCK_HOURS = 3           # history is compared with its expectation in blocks this long
TRIM = 0.2                # share of the most excessive blocks left out (past bursts)
MAX_DISPERSION = 1.0
# Windows nested at about twice each other's length see largely the same excursions: a
# simulated Poisson null with 1-minute ticks (6 windows of 10 min to 6 h) spends about the
# budget when every window gets ``budget / (K / 2)``, and a third to a fifth of it under the
# plain union bound (``budget / K``), before the count's discreteness takes more.
WINDOWS_PER_TEST = 2.0
EXCESS_P = 0.001          # a history block this far above its expectation is a past burst


@dataclass(frozen=True)
class Threshold:
    """The calibrated threshold of one window: fire at ``count >= k``."""
    window_hours: float
    expected: float
    dispersion: float       # α of the count's negative binomial (0: Poisson)
    k: int
    budget: float           # false incidents per week this window may use


def _logpmf(ks: np.ndarray, mean: float, alpha: float) -> np.ndarray:
    """log P(X = k) for the negative binomial of mean ``mean`` and dispersion ``alpha``
    (Poisson when ``alpha`` is 0); written out with ``gammaln`` because building a frozen
    scipy distribution costs more than a whole detection tick."""
    ks = np.asarray(ks, dtype=float)
    if alpha <= 1e-9:
        return ks * math.log(mean) - mean - gammaln(ks + 1)
    n = 1.0 / alpha
    return (gammaln(ks + n) - gammaln(n) - gammaln(ks + 1)
            + n * math.log(n / (n + mean)) + ks * math.log(mean / (n + mean)))


def tail(count: int, mean: float, alpha: float) -> float:
    """P(X ≥ count) under the negative binomial (Poisson when ``alpha`` is 0)."""
    if count <= 0:
        return 1.0
    if alpha <= 1e-9:
        return float(pdtrc(count - 1, mean))
    n = 1.0 / alpha
    return float(betainc(count, n, mean / (n + mean)))  # P(X > count - 1)


def crossing_rate(count: int, mean: float, alpha: float, window_hours: float) -> float:
    """False alarms per week at the level ``count`` by a sliding window (see module)."""
    if count <= mean:
        return math.inf
    pmf = math.exp(float(_logpmf(np.array([count - 1]), mean, alpha)[0]))
    return WEEK_HOURS * mean / window_hours * (1.0 - mean / count) * pmf


def threshold(mean: float, alpha: float, window_hours: float, budget: float) -> int:
    """The smallest count ``k > mean`` whose false crossings per week stay within ``budget``
    (beyond the mode the pmf only falls, so every larger count is within it too)."""
    sd = math.sqrt(mean + alpha * mean * mean)
    hi = int(mean + 60 * sd + 20)
    ks = np.arange(int(math.floor(mean)) + 1, hi + 1)
    return lowest_within(ks, _logpmf(ks - 1, mean, alpha), mean, window_hours, budget, hi + 1)


def lowest_within(ks: np.ndarray, log_pmf_below: np.ndarray, mean: float,
                  window_hours: float, budget: float, none: int) -> int:
    """The smallest level of ``ks`` (counts above ``mean``) past the peak of the crossing
    rate whose false crossings per week stay within ``budget``, given ``log P(X = k − 1)``
    for each (whatever the count's distribution); ``none`` when no level is within it."""
    log_rates = (math.log(WEEK_HOURS * max(mean, 1e-12) / window_hours) + np.log1p(-mean / ks)
                 + log_pmf_below)
    mode_i = int(np.argmax(log_rates))
    ok = np.nonzero(log_rates[mode_i:] <= math.log(budget))[0]
    return int(ks[mode_i + ok[0]]) if len(ok) else none


def _kept_share_of_square(trim: float) -> float:
    """E[Z² | Z below its upper ``trim`` quantile] for a standard normal Z: what is left of
    the mean square about the expectation once the top ``trim`` share is cut off."""
    if trim <= 0:
        return 1.0
    z = NormalDist().inv_cdf(1.0 - trim)
    return 1.0 - z * NormalDist().pdf(z) / (1.0 - trim)


def dispersion(observed: list[float], expected: list[float],
               prior: float = DISPERSION_PRIOR, corrected: bool = False) -> float:
    """α from paired block counts (method of moments, Var = μ + α μ²), leaving out the
    ``TRIM`` share of blocks furthest above expectation (bursts in the history are not the
    normal level), shrunk towards ``prior`` by ``PRIOR_WEIGHT``.

    Cutting off the top blocks also cuts the upper half of the normal spread: the mean
    square about μ of the rest is about 0.71 of the variance (``TRIM`` 0.2), and their
    counts are below μ on average, so the plain estimate is biased low, the more so the
    fewer counts a block holds. ``corrected`` divides the mean square by that share and
    subtracts the expected (not the kept) counts as the Poisson part: unbiased under a
    normal spread, so a history whose days truly differ is not read as calm."""
    pairs = [(x, m) for x, m in zip(observed, expected) if m > 0]
    pairs.sort(key=lambda p: (p[0] - p[1]) / math.sqrt(p[1]))
    keep = pairs[:len(pairs) - int(len(pairs) * TRIM)]
    if corrected:
        kept = _kept_share_of_square(TRIM if len(keep) < len(pairs) else 0.0)
        num = sum((x - m) ** 2 / kept - m for x, m in keep)
    else:
        num = sum((x - m) ** 2 - x for x, m in keep)
    den = sum(m * m for _, m in keep)
    alpha = (num + prior * PRIOR_WEIGHT) / (den + PRIOR_WEIGHT)
    return min(MAX_DISPERSION, max(0.0, alpha))


def window_budget(budget: float, windows: int) -> float:
    """The false incidents per week each of ``windows`` nested windows may use so that the
    rule as a whole stays within ``budget`` (see ``WINDOWS_PER_TEST``)."""
    return budget / max(1.0, windows / WINDOWS_PER_TEST)


def median_dispersion(observed: list[float], expected: list[float]) -> float:
    """α from paired block counts of about equal expectation (whole days), read off the
    median squared deviation (0.455 σ² for a normal spread), so up to half the blocks may
    hold bursts without inflating it; 0 with fewer than three blocks."""
    pairs = [(x, m) for x, m in zip(observed, expected) if m > 0]
    if len(pairs) < 3:
        return 0.0
    # ``statistics.median``: the value ``np.median`` gives (the middle one, or the mean of
    # the two middle ones), without numpy's overhead on a week of days, at every tick
    variance = float(median([(x - m) ** 2 for x, m in pairs])) / 0.4549
    mean = float(median([m for _, m in pairs]))
    return min(MAX_DISPERSION, max(0.0, (variance - mean) / (mean * mean)))


def is_burst(observed: float, expected: float, alpha: float) -> bool:
    """A history block beyond chance above its expectation (P < ``EXCESS_P``): a past burst."""
    return observed > expected and tail(int(observed), expected, alpha) < EXCESS_P


def without_bursts(observed: list[float], expected: list[float], alpha: float) -> list[float]:
    """``observed`` with every past burst (``is_burst``) replaced by its expectation."""
    return [m if is_burst(x, m, alpha) else x for x, m in zip(observed, expected)]


def blocks(values: list[float], size: int = BLOCK_HOURS) -> list[float]:
    """Sums of consecutive runs of ``size`` values (the last run may be shorter)."""
    return [sum(values[i:i + size]) for i in range(0, len(values), size)]


def pooled_thresholds(windows: list[tuple[float, float, float]], budget: float,
                      floors: list[int] | None = None) -> list[int]:
    """Thresholds for windows tested together, each given as ``(mean, alpha, hours)``, where
    each may use ``budget`` false incidents per week (``window_budget``); ``floors``: the
    smallest count each window may fire at anyway (a rule's ``min_count`` and ``min_ratio``
    × the mean).

    A window often cannot spend its share: a count is an integer (at 0.8 negatives expected
    in ten minutes, 7 crosses about a tenth as often as 6), and a long window at a few
    hundred reviews a day is held at ``min_ratio`` × its mean, far above its calibrated
    threshold. Six windows spent about 0.6 of their summed shares on realistic streams. The
    windows pool what they leave: starting from each window's own threshold (``threshold``,
    or its floor when that is higher), the threshold whose one-step lowering costs the least
    is lowered while the summed crossing rate stays within ``len(windows) × budget`` and no
    window crosses more often than ``WINDOWS_PER_TEST × budget`` (the bound the summed shares
    give the union of nested windows holds as before); never below a window's floor, nor
    below the peak of its crossing rate, where the approximation no longer holds. A window
    its floor holds keeps its own threshold (below the floor: the rule fires at the floor)."""
    floors = floors or [0] * len(windows)
    own = [threshold(m, a, h, budget) for m, a, h in windows]
    ks = [max(k, f) for k, f in zip(own, floors)]

    def rate(i: int, k: int) -> float:
        m, a, h = windows[i]
        return crossing_rate(k, m, a, h) if k > m else math.inf

    rates = [rate(i, k) for i, k in enumerate(ks)]
    room = budget * len(windows) - sum(rates)
    cap = budget * WINDOWS_PER_TEST
    while True:
        steps = [(rate(i, k - 1) - rates[i], i) for i, k in enumerate(ks)
                 if k - 1 > windows[i][0] and k - 1 >= floors[i]]
        # past the peak of the crossing rate only
        steps = [(cost, i) for cost, i in steps
                 if 0.0 < cost <= room and rates[i] + cost <= cap]
        if not steps:  # a window held at its floor keeps its own threshold, as alone
            return [o if o < f else k for k, f, o in zip(ks, floors, own)]
        cost, i = min(steps)
        ks[i] -= 1
        rates[i] += cost
        room -= cost
