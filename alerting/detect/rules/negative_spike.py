"""``negative_spike``: more negative reviews in a recent window than history explains.

For each group (by default each entity: see ``Rule.group_by``) the rule compares the negative
count in windows ending now with the count expected from the baseline period
``[now − baseline, now − window)`` (see ``alerting.detect.baselines``). Expected negatives over
a window are the group's negative share times the reviews expected in it:

- share: the group's negatives over its reviews in the baseline, leaving out blocks of past
  bursts (``_calm``), shrunk towards its brand's share when the group is a product with a
  ``parent``, else towards the share of everything the rule watches (``SHARE_PRIOR`` reviews'
  worth), so a young or small group borrows rather than staying silent until it has a week
  of history (``group_status`` says which, and whether a group is too small ever to spend
  its budget: the rule editor shows it);
- reviews expected: an hour-of-day × day-of-week profile fitted on the baseline hours since
  the group's first stored review and outside declared events (``seasonal: false`` gives a
  flat rate), times the ``scale`` of declared events running now; when the positive reviews
  in the window imply more (a launch; positive ones only, since the model calls some
  complaints of a burst neutral), that larger volume is used instead: the calendar and the
  observed volume never multiply the same surge (the positives are read over at least
  ``VOLUME_SPAN``, so a few stray ones in ten minutes hardly move it);
- expected = max(that, ``EXPECTED_FLOOR``), so 0 against 0 never fires.

By default (no ``window`` and no ``p_value`` in the config) the rule is multi-scale and
calibrated: it tests every window of ``WINDOWS`` (10 minutes to 6 hours) at once and fires on
the most significant window whose count reaches its threshold, where each threshold holds the
false incidents per week of the group to ``false_alarms_per_week`` across all windows and
ticks, with the count negative binomial (dispersion from the group's history, over blocks of
hours and over whole days, past bursts left out of both; see ``alerting.detect.calibration``);
the windows are thresholded together, sharing what one leaves of its part of the budget
(``calibration.pooled_thresholds``, with ``min_count`` and ``min_ratio`` as floors). The
chosen threshold is part of the explanation. A config with ``window`` tests that one
window; with ``p_value`` it fires on a per-tick Poisson tail below it, as before calibration
existed.

Either way a firing needs count ≥ ``min_count`` and count ≥ ``min_ratio`` × expected. While a
window's count stays above expected with P < ``elevated_p_value`` and at least halfway to
``min_ratio`` × expected, the rule keeps reporting the group as elevated (``opens=False``),
which keeps its incident open until the level is back near baseline.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field
from scipy.stats import poisson

from alerting.detect import calibration
from alerting.detect.baselines import History, SeasonalProfile, history, rate_level
from alerting.detect.explanation import explain_spike
from alerting.detect.rules.base import Firing, Rule
from models.config import Duration, RuleBase
from models.store import ReviewStore

EXPECTED_FLOOR = 0.1
VOLUME_PRIOR = 3.0  # pseudo-count that keeps a few stray reviews from moving the factor
SHARE_PRIOR = 20.0  # reviews' worth of the wider scope's negative share a group starts from
DEFAULT_SHARE = 0.15  # negative share assumed when nothing at all has been seen
NEGATIVE = ("negative",)
NON_NEGATIVE = ("neutral", "positive")
POSITIVE = ("positive",)  # the volume signal: complaints the model calls neutral stay out
LEGACY_WINDOW = timedelta(minutes=10)  # with ``p_value`` and no window
WINDOWS = tuple(timedelta(minutes=m) for m in (10, 30, 60, 120, 240, 360))
VOLUME_SPAN = timedelta(hours=3)  # the shortest span the volume is read over
# The windows pool what their integer thresholds leave of their budget shares
# (``calibration.pooled_thresholds``); False: each window keeps to its own share (the
# benchmark replays both).
POOL_WINDOWS = True


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
    window: timedelta | None = None
    threshold: int | None = None        # calibrated: fire at count >= threshold
    calibration: dict = field(default_factory=dict)

    @property
    def significant(self) -> bool:
        return self.threshold is not None and self.count >= self.threshold


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
                     factors or {}, window)


@dataclass(frozen=True)
class GroupStatus:
    """How a group stands with the calibrated rule at one moment (the rule editor shows it).

    ``own`` is the weight of the group's own baseline in its negative share (the rest is
    borrowed from ``borrowed_from``: its brand's entity id, or None for everything the rule
    watches); ``too_small`` when even the longest window's calibrated threshold is below
    ``min_count``: the group is too quiet ever to spend its false-alarm budget, and only
    ``min_count`` negatives within a window fire."""
    key: str | None
    reviews: int               # baseline reviews (past bursts left out)
    negatives: int
    share: float               # the negative share the group is tested with
    own: float
    borrowed_from: str | None
    thresholds: tuple[tuple[timedelta, float, int], ...]  # (window, expected, threshold)
    min_count: int

    @property
    def borrows(self) -> bool:
        return self.own < 0.5

    @property
    def too_small(self) -> bool:
        return max(k for _, _, k in self.thresholds) < self.min_count


def shrunk(count: float, total: float, towards: float) -> float:
    """The share ``count / total`` shrunk towards ``towards`` by ``SHARE_PRIOR`` reviews'
    worth of it (a group with little history starts from the wider scope's share)."""
    return (count + SHARE_PRIOR * towards) / (total + SHARE_PRIOR)


class NegativeSpikeConfig(RuleBase):
    """Negative reviews in recent windows against the count expected from a baseline."""
    type: Literal["negative_spike"]
    # The knob: expected false incidents per week per group; thresholds are calibrated to it
    # over every tick and every window tested.
    false_alarms_per_week: Annotated[float, Field(gt=0, le=50)] = 0.5
    windows: list[Duration] = []   # windows tested at once; default 10m, 30m, 1h, 2h, 4h, 6h
    window: Duration | None = None  # one window only (instead of ``windows``)
    baseline: Duration = timedelta(days=7)
    min_count: Annotated[int, Field(ge=1)] = 5
    # A per-tick Poisson p-value instead of the calibrated budget (one window, 10m default).
    p_value: Annotated[float, Field(gt=0, lt=0.5)] | None = None
    min_ratio: Annotated[float, Field(ge=1)] = 2.0
    seasonal: bool = True          # expected count follows hour-of-day and day-of-week
    volume_window: Duration | None = None  # non-negative volume read for the volume factor
    elevated_p_value: Annotated[float, Field(gt=0, lt=1)] = 0.05  # still high: keep firing


class NegativeSpikeRule(Rule):
    config_model = NegativeSpikeConfig
    required_options = frozenset({"baseline", "min_count", "min_ratio",
                                  "false_alarms_per_week"})
    groups_by_entity = True
    peaks_later = True
    default_windows = WINDOWS
    legacy_window = LEGACY_WINDOW

    @property
    def calibrated(self) -> bool:
        """True unless the config asks for a per-tick ``p_value``."""
        return self.config.p_value is None

    def evaluate(self, store: ReviewStore, now: datetime) -> list[Firing]:
        windows = self.windows
        current = {w: self.groups(store, now - w, now, NEGATIVE) for w in windows}
        keys = sorted({k for counts in current.values() for k in counts}, key=lambda k: k or "")
        shares: dict[str | None, float] = {}  # what groups borrow from, read once a tick
        firings = []
        for key in keys:
            counts = {w: current[w].get(key, 0) for w in windows}
            if max(counts.values()) < 2:  # one review is never a spike, nor still one
                continue
            tests = self.tests(store, key, counts, now, self._borrowed(store, key, now, shares))
            firing = [t for t in tests if self.fires(t)]
            if firing:
                best = min(firing, key=self._strength)
                firings.append(self._firing(store, key, best, now, True))
            else:
                elevated = [t for t in tests if self.elevated(t)]
                if elevated:
                    firings.append(self._firing(store, key, min(elevated, key=self._strength),
                                                now, False))
        return firings

    def fires(self, test: SpikeTest) -> bool:
        c = self.config
        if test.count < c.min_count or test.count < c.min_ratio * test.expected:
            return False
        return test.significant if self.calibrated else test.p_value < c.p_value

    def elevated(self, test: SpikeTest) -> bool:
        """Still high: above expected with P < ``elevated_p_value`` and at least halfway to
        ``min_ratio`` × expected. At thousands of reviews a day a mild, lasting rise (a sale
        that brings a third more complaints) is significant in a six-hour window for days;
        kept open by it, an incident would swallow every sharp burst that follows."""
        c = self.config
        return (test.count >= (1.0 + c.min_ratio) / 2.0 * test.expected
                and test.p_value < c.elevated_p_value)

    def _strength(self, test: SpikeTest) -> float:
        """Smaller is stronger: the crossing rate at the count against the window's share of
        the budget (calibrated), or the p-value."""
        if not self.calibrated:
            return test.p_value
        return test.calibration.get("rate_at_count", test.p_value)

    def _parent_share(self, store: ReviewStore, now: datetime) -> float:
        """The negative share of everything the rule watches over the baseline: what a group
        with little history of its own starts from."""
        if self.group_by is None:
            return DEFAULT_SHARE
        return self._baseline_share(store, None, now, DEFAULT_SHARE)

    def _baseline_share(self, store: ReviewStore, key: str | None, now: datetime,
                        towards: float) -> float:
        """The negative share of ``key``'s baseline (None: everything the rule watches),
        shrunk towards ``towards``."""
        start, baseline_start = self.periods(now)
        past = history(store, self.query(key, baseline_start, start), baseline_start, start,
                       self.context.calendar, self.scope(key))
        return shrunk(past.negatives(), past.total(), towards)

    def group_status(self, store: ReviewStore, now: datetime) -> list[GroupStatus]:
        """Every group with reviews in the baseline, as the calibrated test sees it at
        ``now`` (no window count is read: thresholds and expectations only)."""
        if not self.calibrated:
            return []
        start, baseline_start = self.periods(now)
        keys = sorted(self.groups(store, baseline_start, now), key=lambda k: k or "")
        shares: dict[str | None, float] = {}
        out = []
        for key in keys:
            parent = self._borrowed(store, key, now, shares)
            past = history(store, self.query(key, baseline_start, start), baseline_start,
                           start, self.context.calendar, self.scope(key))
            _, _, negatives, total = self._level(past, parent)
            tests = self.tests(store, key, {w: 0 for w in self.windows}, now, parent, past)
            brand = self.context.parents.get(key) if self.group_by == "entity" else None
            out.append(GroupStatus(
                key, total, negatives, tests[0].factors["negative_share"],
                total / (total + SHARE_PRIOR), brand,
                tuple((t.window, t.expected, t.threshold) for t in tests),
                self.config.min_count))
        return out

    def _borrowed(self, store: ReviewStore, key: str | None, now: datetime,
                  shares: dict[str | None, float]) -> float:
        """The negative share group ``key`` starts from: its brand's (a product entity with a
        ``parent``; the brand's own share shrunk towards the rule's), else that of everything
        the rule watches (``_parent_share``). ``shares`` remembers them for the tick."""
        if None not in shares:
            shares[None] = self._parent_share(store, now)
        brand = self.context.parents.get(key) if self.group_by == "entity" and key else None
        if brand is None:
            return shares[None]
        if brand not in shares:
            shares[brand] = self._baseline_share(store, brand, now, shares[None])
        return shares[brand]

    def tests(self, store: ReviewStore, key: str | None, counts: dict[timedelta, int],
              now: datetime, parent_share: float,
              past: History | None = None) -> list[SpikeTest]:
        """One test per window for group ``key`` with ``counts`` negatives per window;
        ``past``: the group's baseline history before the longest of them, when the caller
        has already read it."""
        c = self.config
        longest = max(counts)
        window_start, baseline_start = self.periods(now, longest)
        scope = self.scope(key)
        if past is None:
            past = history(store, self.query(key, baseline_start, window_start),
                           baseline_start, window_start, self.context.calendar, scope)
        profile = SeasonalProfile(self.context.timezone, c.seasonal).fit(past.buckets)
        negatives, total = past.negatives(), past.total()
        if self.calibrated:
            share, spread, negatives, total = self._level(past, parent_share)
            alpha = spread + 1.0 / (negatives + SHARE_PRIOR * parent_share + 1.0)
            positive_share = self._positive_share(store, key, baseline_start, window_start)
        covered = timedelta(hours=past.covered_hours)
        calendar = self.context.calendar
        events = [e.name for e in calendar.covering(now - longest, now, scope)]
        budget = calibration.window_budget(c.false_alarms_per_week, len(counts))
        weighted = profile.weighted_hours(past.buckets)
        positives: dict[timedelta, int] = {}  # positive counts by volume span, read once
        out: list[SpikeTest] = []
        pending = []  # calibrated windows, thresholded together below
        for window, count in sorted(counts.items()):
            start = now - window
            floor = profile.integral(start, now)
            scale = calendar.scale(start, now, scope)
            factors = {"calendar_scale": scale, "events": events,
                       "excluded_event_hours": past.excluded_hours}
            if not self.calibrated:
                seasonal = rate_level(negatives, profile, past.buckets, floor) * floor
                volume = self._volume_factor(store, key, profile, past, now)
                out.append(spike_test(count, negatives, covered, window,
                                      seasonal * volume * scale,
                                      {"seasonal_expected": round(seasonal, 3),
                                       "volume_factor": round(volume, 3), **factors}))
                continue
            reviews = total / max(weighted, floor) * floor  # as ``rate_level``
            surge = self._surge(store, key, max(window, VOLUME_SPAN), now, total, weighted,
                                profile, positive_share * scale, positives)
            expected = max(share * reviews * scale * surge[0], EXPECTED_FLOOR)
            # volume read off the window itself is a count too: its noise widens the test
            pending.append((window, count, expected, alpha + surge[1], surge[0], reviews,
                            factors))
        if not pending:
            return out
        specs = [(m, a, w / timedelta(hours=1)) for w, _, m, a, *_ in pending]
        # a count below these never fires, whatever its threshold (``fires``)
        floors = [max(c.min_count, math.ceil(c.min_ratio * m - 1e-9)) for _, _, m, *_ in pending]
        ks = (calibration.pooled_thresholds(specs, budget, floors) if POOL_WINDOWS
              else [calibration.threshold(m, a, h, budget) for m, a, h in specs])
        for (window, count, expected, alpha_w, volume, reviews, factors), k in zip(pending, ks):
            hours = window / timedelta(hours=1)
            p_value = calibration.tail(count, expected, alpha_w)
            rate = calibration.crossing_rate(count, expected, alpha_w, hours) / budget
            out.append(SpikeTest(
                count, negatives, max(covered, window), expected, count / expected, p_value,
                {"seasonal_expected": round(share * reviews, 3), "negative_share":
                 round(share, 4), "volume_factor": round(volume, 3), **factors},
                window, k, {"false_alarms_per_week": c.false_alarms_per_week,
                            "windows_tested": len(counts), "window_budget": round(budget, 4),
                            "dispersion": round(alpha_w, 4), "threshold": k,
                            "rate_at_count": rate}))
        return out

    def _surge(self, store: ReviewStore, key: str | None, span: timedelta, now: datetime,
               total: int, weighted: float, profile: SeasonalProfile, positive_share: float,
               positives: dict[timedelta, int]) -> tuple[float, float]:
        """(volume factor, added dispersion) over the last ``span`` (at least
        ``VOLUME_SPAN``): the factor by which positive reviews exceed what the seasonal
        volume (times declared events, in ``positive_share``) leads to expect, when they do
        (a launch, an undeclared sale, a busy day). Read over hours rather than the window
        itself, a few stray positives in ten minutes, or complaints of a burst that the model
        calls positive, hardly move it. A factor read off a count is noisy itself: its
        relative variance widens the test."""
        if span not in positives:
            positives[span] = store.count(self.query(key, now - span, now, POSITIVE))[None]
        observed = positives[span]
        floor = profile.integral(now - span, now)
        expected = total / max(weighted, floor) * floor * positive_share
        factor = (observed + VOLUME_PRIOR) / (expected + VOLUME_PRIOR)
        if factor <= 1.0:
            return 1.0, 0.0
        return factor, 1.0 / (observed + VOLUME_PRIOR)

    def _positive_share(self, store: ReviewStore, key: str | None, start: datetime,
                        end: datetime) -> float:
        """The share of positive reviews over ``[start, end)``, shrunk towards a half."""
        counts = store.count(self.query(key, start, end), group_by="sentiment")
        return shrunk(counts.get("positive", 0), sum(counts.values()), 0.5)

    def _level(self, past: History, parent_share: float) -> tuple[float, float, int, int]:
        """(negative share, dispersion, negatives, reviews) of the baseline without its past
        bursts, in two rounds: the share of the whole baseline, shrunk towards
        ``parent_share``, finds the bursts (``_calm``); the share without them gives the
        dispersion and finds them again. Judged against a share the bursts raised (by half
        at thousands of reviews a day, five bursts a week), every calm block looks low and
        the spread they seem to show widens every threshold. The first round starts from the
        share of the baseline without its most excessive blocks (``_trimmed``): judged
        against the share of the whole, bursts also widen the dispersion they are judged
        with, and two or three of them in a baseline that a declared sale shortened read as
        spread rather than bursts (the level and every threshold rose by a fifth)."""
        share = shrunk(*self._trimmed(past), parent_share)
        negatives, total = self._calm(past, share, self._dispersion(past, share))
        for _ in range(2):
            share = shrunk(negatives, total, parent_share)
            spread = self._dispersion(past, share)
            negatives, total = self._calm(past, share, spread)
        return shrunk(negatives, total, parent_share), spread, negatives, total

    @staticmethod
    def _trimmed(past: History) -> tuple[int, int]:
        """Negatives and reviews of the baseline without the ``calibration.TRIM`` share of
        its blocks furthest above the share of the whole (a start for finding its bursts:
        low by a little, never raised by them)."""
        observed = calibration.blocks([b.negative for b in past.buckets])
        totals = calibration.blocks([b.total for b in past.buckets])
        share = past.negatives() / past.total() if past.total() else 0.0
        pairs = sorted(zip(observed, totals),
                       key=lambda p: (p[0] - share * p[1]) / math.sqrt(share * p[1] or 1.0))
        keep = pairs[:len(pairs) - int(len(pairs) * calibration.TRIM)]
        return int(sum(x for x, _ in keep)), int(sum(n for _, n in keep))

    def _calm(self, past: History, share: float, alpha: float) -> tuple[int, int]:
        """Negatives and reviews of the baseline without its past bursts: blocks of
        ``calibration.BLOCK_HOURS`` whose negatives are beyond chance above ``share`` of
        their reviews (P < ``calibration.EXCESS_P`` with the group's own dispersion
        ``alpha``) are left out, so last week's complaint wave does not raise the level this
        week's is tested against. On a calm history almost nothing is left out (one block in
        a thousand by chance)."""
        negatives, total = past.negatives(), past.total()
        observed = calibration.blocks([b.negative for b in past.buckets])
        totals = calibration.blocks([b.total for b in past.buckets])
        for x, n in zip(observed, totals):
            if calibration.is_burst(x, share * n, alpha):
                negatives, total = negatives - int(x), total - int(n)
        return negatives, total

    def _dispersion(self, past: History, share: float) -> float:
        """α of the group's negatives around ``share`` of its reviews: what varies beyond
        the volume (which the test reads off the window), the larger of what blocks of a few
        hours show (``calibration.dispersion``, corrected for the blocks it leaves out) and
        what whole days show (a share that differs from day to day hardly shows within one;
        ``calibration.median_dispersion``), the days summed with their burst blocks at
        expectation (``calibration.without_bursts``): at thousands of reviews a day most days
        of a week can hold a burst, and a median over them then reads bursts as spread."""
        if not past.buckets:
            return calibration.DISPERSION_PRIOR
        observed = calibration.blocks([b.negative for b in past.buckets])
        expected = calibration.blocks([share * b.total for b in past.buckets])
        hours = calibration.dispersion(observed, expected, corrected=True)
        calm = calibration.without_bursts(observed, expected, hours)
        per_day = 24 // calibration.BLOCK_HOURS
        days = calibration.median_dispersion(calibration.blocks(calm, per_day),
                                             calibration.blocks(expected, per_day))
        return max(hours, days)

    def _volume_factor(self, store: ReviewStore, key: str | None, profile: SeasonalProfile,
                       past, now: datetime) -> float:
        span = self.config.volume_window or self.windows[0]
        if not past.buckets:
            return 1.0
        weighted = profile.integral(now - span, now)
        level = rate_level(past.total() - past.negatives(), profile, past.buckets, weighted or 1.0)
        expected = level * weighted
        observed = store.count(self.query(key, now - span, now, NON_NEGATIVE))[None]
        return max(1.0, (observed + VOLUME_PRIOR) / (expected + VOLUME_PRIOR))

    def _firing(self, store: ReviewStore, key: str | None, test: SpikeTest, now: datetime,
                opens: bool) -> Firing:
        window_start, baseline_start = self.periods(now, test.window)
        if not opens:  # only keeps an incident alive: the peak's explanation stays
            return Firing(rule=self.name, group_key=key or "", at=now, metric=test.count,
                          baseline=test.expected, p_value=test.p_value,
                          window_start=window_start, window_end=now, opens=False)
        facts = {"factors": test.factors}
        if test.calibration:
            facts["threshold"] = {k: v for k, v in test.calibration.items()
                                  if k != "rate_at_count"}
        explained = explain_spike(
            store, rule=self, group_key=key or "", test=test,
            window_query=self.query(key, window_start, now, NEGATIVE),
            baseline_query=self.query(key, baseline_start, window_start, NEGATIVE),
            facts=facts)
        return self.explained_firing(key or "", now, window_start, test.count, test.expected,
                                     test.p_value, explained)
