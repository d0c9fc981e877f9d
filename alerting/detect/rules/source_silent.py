"""``source_silent``: a source that normally produces reviews has gone quiet, or its crawls
are recorded as broken, so a dead spider is never mistaken for calm.

Sources watched: the rule's ``sources``, else every source with reviews in the baseline or a
crawl record. Per source (the group key is always the source name):

- broken: its crawl checkpoint says ``broken`` (with the error and since when) → fire;
- quiet: each window's count against the seasonal expectation of
  ``alerting.detect.baselines`` (fitted on ``[now − baseline, now − longest window)``), when
  expected ≥ ``min_expected``. By default (no ``p_value``) the windows ``WINDOWS`` (1 to 6
  hours: a slow source shows its silence only over hours) are tested at once,
  calibrated to ``false_alarms_per_week`` per source across windows and ticks
  (``alerting.detect.thresholds.lower_threshold``: the count negative binomial around the
  expectation, with the source's own excess over its profile as dispersion, never below
  ``MIN_DISPERSION``: a slow day is a long dip, not a dead source); the source's own past
  outages (blocks of hours far below expectation, ``thresholds.without_outages``) are left
  out of the baseline, its level and dispersion; a window fires at or
  below its calibrated lower threshold. With ``p_value`` (the setting before calibration;
  one 2-hour window unless ``window`` is given) it fires on P(X ≤ count | expected) below it.
- gap (by default, beside the windows, sharing the budget as one more test): the reviews
  the source's seasonal rate should have brought since its last review; every review starts
  a gap, and a working source's gap outlasts ``E`` expected reviews with probability
  ``(1 + α E)^(−1/α)``, so the threshold is the ``E`` at which a source bringing ``N``
  reviews a week has its budget's share of such gaps (``gap_threshold``: about 11 expected
  reviews at 100 a day, 15 at 1,000). A silence is judged from when it began, whatever its
  length: an outage starting at 22:00 is seen in the morning as its missed reviews add up,
  not only once a whole fixed window has emptied. A gap that is undetectable by any
  statistic stays so: at 100 reviews a day a 2-hour outage at 03:00 misses under one review.

A declared planned outage covering the window silences both.

An incident is resolved only on evidence that the source is back: for a broken crawl, a
successful one; for a quiet source, a review from it published after the incident opened.
Until then, each tick keeps the incident alive with a firing that opens nothing
(``opens=False``), so a source still dead at night, when too few reviews are expected to tell
quiet from dead, is not declared recovered because the expectation fell.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field
from scipy.stats import poisson
from sqlalchemy import select

from alerting.detect import calibration, thresholds, wording
from alerting.detect.baselines import SeasonalProfile, history, rate_level
from alerting.detect.calendar import Scope
from alerting.detect.explanation import explain
from alerting.detect.rules.base import Firing, Rule
from alerting.detect.rules.burst_keys import active_incidents
from models.config import Duration, RuleBase
from models.state import CrawlCheckpoint
from models.store import ReviewQuery, ReviewStore

WINDOWS = tuple(timedelta(hours=h) for h in (1, 2, 4, 6))
MIN_DISPERSION = 0.05  # whole days run slow: a quiet stretch is never judged as Poisson
LEGACY_WINDOW = timedelta(hours=2)
# the hour-of-day prior in reviews (``SeasonalProfile``): a fall is judged against the hour's
# own rate, which a prior of an hour of average data put at twice the truth at night
HOUR_PRIOR_REVIEWS = 5.0


class SourceSilentConfig(RuleBase):
    """A source that normally produces reviews is quiet, or its crawls are recorded broken."""
    type: Literal["source_silent"]
    false_alarms_per_week: Annotated[float, Field(gt=0, le=50)] = 0.5
    windows: list[Duration] = []      # tested at once; default 1h, 2h, 4h, 6h
    window: Duration | None = None    # one window only
    baseline: Duration = timedelta(days=7)
    min_expected: Annotated[float, Field(gt=0)] = 5.0  # quiet only means something past this
    # a per-tick Poisson p-value instead of the calibrated budget (before calibration: 0.001)
    p_value: Annotated[float, Field(gt=0, lt=0.5)] | None = None


class SourceSilentRule(Rule):
    config_model = SourceSilentConfig
    required_options = frozenset({"baseline", "min_expected", "false_alarms_per_week"})
    default_windows = WINDOWS
    legacy_window = LEGACY_WINDOW

    def evaluate(self, store: ReviewStore, now: datetime) -> list[Firing]:
        c = self.config
        window_start, baseline_start = self.periods(now)
        windows = self.windows
        # one more test than windows: the gap since the source's last review (``_gap``)
        budget = thresholds.Budget(c.false_alarms_per_week, len(windows) + (c.p_value is None))
        records = self._records()
        sources = set(c.sources) or (
            {k for k in store.count(ReviewQuery(entities=tuple(c.entities),
                                                start=baseline_start, end=now),
                                    group_by="source") if k} | set(records))
        firings = []
        for source in sorted(sources):
            scope = Scope(tuple(c.entities), (source,))
            if self.context.calendar.outage(now - min(windows), now, scope):
                continue
            query = ReviewQuery(sources=(source,), entities=tuple(c.entities))
            record = records.get(source)
            if record is not None and record.status == "broken":
                firings.append(self._firing(store, source, now, query, 0, 0.0, 0.0, record,
                                            LEGACY_WINDOW if c.window is None else c.window))
                continue
            past = history(store, _span(query, baseline_start, window_start), baseline_start,
                           window_start, self.context.calendar, scope)
            if not past.buckets:
                continue
            profile = self._profile(past)
            cleaned = thresholds.without_outages(profile, past)
            if cleaned is not past and cleaned.buckets:
                past = cleaned
                profile = self._profile(past)
            alpha = max(thresholds.seasonal_dispersion(profile, past), MIN_DISPERSION) + 1.0 / (
                past.total() + 1.0)
            quiet = []
            for window in windows:
                start = now - window
                if self.context.calendar.outage(start, now, scope):
                    continue
                weighted = profile.integral(start, now)
                expected = rate_level(past.total(), profile, past.buckets, weighted) * weighted
                if expected < c.min_expected:
                    continue
                count = store.count(_span(query, start, now))[None]
                test = self._quiet(window, count, expected, alpha, budget)
                if test is not None:
                    quiet.append(test)
            gap = self._gap(store, query, baseline_start, now, scope, profile, past, alpha,
                            budget)
            if gap is not None:
                quiet.append(gap)
            if quiet:
                strength, window, count, expected, p_value, facts = min(
                    quiet, key=lambda t: t[0])
                firings.append(self._firing(store, source, now, query, count, expected,
                                            p_value, record, window, facts))
        return firings + self._still_dead(store, now, {f.group_key for f in firings})

    def _quiet(self, window: timedelta, count: int, expected: float, alpha: float,
               budget: thresholds.Budget) -> tuple | None:
        """``(strength, window, count, expected, p_value, calibration facts)`` when the
        window is quiet enough to fire, else None."""
        c = self.config
        if c.p_value is not None:
            p_value = float(poisson.cdf(count, expected))
            return (p_value, window, count, expected, p_value, {}) \
                if p_value < c.p_value else None
        hours = thresholds.hours(window)
        k = thresholds.lower_threshold(expected, alpha, hours, budget.each)
        if count > k:
            return None
        rate = thresholds.lower_rate(count, expected, alpha, hours)
        return (rate / budget.each, window, count, expected,
                1.0 - calibration.tail(count + 1, expected, alpha), budget.facts(k, alpha,
                                                                                 expected))

    def _profile(self, past) -> SeasonalProfile:
        return SeasonalProfile(self.context.timezone,
                               hour_prior_reviews=HOUR_PRIOR_REVIEWS).fit(past.buckets)

    def _gap(self, store: ReviewStore, query: ReviewQuery, since: datetime, now: datetime,
             scope: Scope, profile: SeasonalProfile, past, alpha: float,
             budget: thresholds.Budget) -> tuple | None:
        """The test of the gap since the source's last review (``gap_threshold``), as
        ``_quiet`` returns it: a silence is judged from when it began, whatever its length,
        and by the reviews its hours should have brought, so an outage that starts in the
        evening is seen in the morning before a fixed window has emptied."""
        if self.config.p_value is not None or not past.total() or not past.covered_hours:
            return None
        newest = store.search(_span(query, since, now), limit=1).reviews
        if not newest:
            return None
        last = newest[0].published_at
        if self.context.calendar.outage(last, now, scope):
            return None
        level = rate_level(past.total(), profile, past.buckets, 1.0)
        expected = level * profile.integral(last, now)
        if expected < self.config.min_expected:
            return None
        per_week = past.total() / past.covered_hours * calibration.WEEK_HOURS
        needed = gap_threshold(per_week, alpha, budget.each)
        if expected < needed:
            return None
        rate = per_week * gap_tail(expected, alpha)
        facts = budget.facts(0, alpha, expected)
        facts.update(gap_since=last.isoformat(), gap_expected_threshold=round(needed, 3))
        return (rate / budget.each, now - last, 0, expected, gap_tail(expected, alpha), facts)

    def _still_dead(self, store: ReviewStore, now: datetime, fired: set[str]) -> list[Firing]:
        """Keep-alive firings for active incidents with no evidence of recovery yet."""
        kept = []
        for incident in active_incidents(self.context.incidents, self.name):
            source = incident.group_key
            if source in fired:
                continue
            if incident.explanation.get("broken"):
                continue  # a broken crawl still fires; one that works again is the evidence
            since = ReviewQuery(sources=(source,), entities=tuple(self.config.entities),
                                start=incident.opened_at, end=now)
            if store.count(since)[None] == 0:
                kept.append(Firing(rule=self.name, group_key=source, at=now,
                                   metric=incident.metric, baseline=incident.baseline,
                                   p_value=1.0, window_start=now - max(self.windows),
                                   window_end=now, opens=False, severity=self.severity))
        return kept

    def _records(self) -> dict[str, CrawlCheckpoint]:
        if self.context.state is None:
            return {}
        with self.context.state.session() as session:
            return {r.source: r for r in session.scalars(select(CrawlCheckpoint))}

    def _firing(self, store: ReviewStore, source: str, now: datetime, query: ReviewQuery,
                count: int, expected: float, p_value: float,
                record: CrawlCheckpoint | None, window: timedelta,
                calibrated: dict | None = None) -> Firing:
        c = self.config
        window_start = now - window
        broken = record is not None and record.status == "broken"

        def summary(_scope: str) -> tuple[str, str]:
            if broken:
                return (f"{source}：抓取失败（自 {record.broken_since:%Y-%m-%d %H:%M} UTC）："
                        f"{record.last_error}",
                        f"{source}: crawls failing since {record.broken_since:%Y-%m-%d %H:%M}"
                        f" UTC: {record.last_error}")
            return (f"{source}：近 {wording.zh_duration(window)}仅 {count} 条评论，"
                    f"基线预期 {expected:.1f} 条",
                    f"{source}: {count} reviews in the last {wording.en_duration(window)}, "
                    f"against {expected:.1f} expected")

        facts = {"metric": "reviews", "source": source, "count": count,
                 "expected": round(expected, 3), "p_value": p_value, "broken": broken}
        if calibrated:
            facts["threshold"] = calibrated
        if record is not None:
            facts["crawl"] = {"status": record.status, "last_error": record.last_error,
                              "broken_since": record.broken_since and
                              record.broken_since.isoformat(),
                              "last_success_at": record.last_success_at and
                              record.last_success_at.isoformat()}
        explained = explain(
            store, rule=self, group_key=source, window_query=_span(query, window_start, now),
            baseline_query=None, headline=wording.HEADLINES[self.type_name], summary=summary,
            facts=facts)
        return Firing(rule=self.name, group_key=source, at=now, metric=count,
                      baseline=round(expected, 3), p_value=p_value,
                      window_start=window_start, window_end=now,
                      title=wording.title(source, wording.HEADLINES[self.type_name]),
                      entities=tuple(c.entities), explanation=explained.details,
                      severity=self.severity)


def gap_tail(expected: float, alpha: float) -> float:
    """P(no review over a stretch that should bring ``expected``), the rate gamma-mixed with
    dispersion ``alpha`` (a slow day is a slow rate): ``(1 + α E)^(−1/α)``, Poisson's
    ``e^(−E)`` when ``alpha`` is 0."""
    if alpha <= 1e-9:
        return math.exp(-expected)
    return math.exp(-math.log1p(alpha * expected) / alpha)


def gap_threshold(per_week: float, alpha: float, budget: float) -> float:
    """The reviews a gap must have missed to fire within ``budget`` false alarms a week.
    Every review starts a gap; under the null a gap outlasts ``E`` expected reviews with
    probability ``gap_tail(E)``, so a source bringing ``per_week`` reviews a week has
    ``per_week × gap_tail(E)`` such gaps a week, and ``E`` solves that = ``budget``."""
    ratio = max(per_week / budget, 1.0)
    if alpha <= 1e-9:
        return math.log(ratio)
    return math.expm1(alpha * math.log(ratio)) / alpha


def _span(query: ReviewQuery, start: datetime, end: datetime) -> ReviewQuery:
    return ReviewQuery(sources=query.sources, entities=query.entities, start=start, end=end)
