"""``emerging_topic``: a term or topic rare in the baseline's negative reviews becomes
frequent in the window's.

Terms: the distinct negative reviews of the window (newest ``WINDOW_SAMPLE``) using each
segmented token of two or more characters, against the share of the baseline's negative
reviews (newest ``BASELINE_SAMPLE``) using it. Topics: negative counts per topic from the
store over both periods. A candidate fires when it is in ≥ ``min_count`` reviews, at least
``min_ratio`` times what the baseline share predicts, and significantly so:

- by default (no ``p_value``) calibrated to ``false_alarms_per_week`` per group
  (``alerting.detect.thresholds``): the reviews using a candidate are negative binomial
  around its baseline share × the window's negative reviews, with ``TERM_DISPERSION`` (words
  come in clusters: reposts, one thread) plus the uncertainty of a share seen a few times as
  the dispersion, and the budget is shared by every candidate tested at the tick (each term
  in two or more of the window's reviews, each topic), so a window with many words does not
  make more false alarms than one with few; it is shared by water-filling (``_Tested``):
  the many words whose floors alone make them rarer than their share cost only that, and
  the few that could cross by chance split the rest, instead of each getting a hundredth;
- the windows ``WINDOWS`` (1 and 4 hours, nested: they share the budget as
  ``negative_spike``'s do) are tested at once, so a problem reported a few times an hour
  over an afternoon counts as one; a cluster a shorter window found is not fired again by
  a longer one;
- with ``p_value`` (the setting before calibration; one 1-hour window unless ``window`` is
  given) a per-candidate binomial upper tail below it.

Terms used by mostly the same reviews (half of the smaller set) describe one
problem and make one firing, keyed by the most frequent of them (``term:发热``,
``topic:物流配送``; prefixed by the group when grouped). A cluster sharing a term with an
active incident of the rule keeps that incident's key, so a burst whose most used term
changes between ticks stays one incident (``alerting.detect.rules.burst_keys``).
"""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field
from scipy.stats import binom

from alerting.detect import calibration, thresholds, wording
from alerting.detect.explanation import BASELINE_SAMPLE, WINDOW_SAMPLE, explain
from alerting.detect.rules.base import Firing, Rule
from alerting.detect.rules.burst_keys import keep_key, ongoing_terms
from models.config import Duration, RuleBase
from models.review import Review
from models.store import ReviewQuery, ReviewStore

NEGATIVE = ("negative",)
TERM_DISPERSION = 0.1


WINDOWS = (timedelta(hours=1), timedelta(hours=4))
LEGACY_WINDOW = timedelta(hours=1)


class EmergingTopicConfig(RuleBase):
    """A term or topic rare in the baseline's negative reviews becomes frequent in the
    window's."""
    type: Literal["emerging_topic"]
    windows: list[Duration] = []      # tested at once; default 1h, 4h
    window: Duration | None = None    # one window only
    baseline: Duration = timedelta(days=7)
    min_count: Annotated[int, Field(ge=2)] = 5
    min_ratio: Annotated[float, Field(ge=1)] = 5.0
    false_alarms_per_week: Annotated[float, Field(gt=0, le=50)] = 0.5
    # a per-candidate binomial p-value instead of the calibrated budget (before: 0.001)
    p_value: Annotated[float, Field(gt=0, lt=0.5)] | None = None
    fields: list[Literal["term", "topic"]] = ["term", "topic"]


class EmergingTopicRule(Rule):
    config_model = EmergingTopicConfig
    required_options = frozenset({"baseline", "min_count", "min_ratio", "fields",
                                  "false_alarms_per_week"})
    default_windows = WINDOWS
    legacy_window = LEGACY_WINDOW

    def evaluate(self, store: ReviewStore, now: datetime) -> list[Firing]:
        c = self.config
        windows = self.windows
        window_start, baseline_start = self.periods(now)
        firings = []
        for key in sorted(self.groups(store, window_start, now, NEGATIVE),
                          key=lambda k: k or ""):
            baseline_q = self.query(key, baseline_start, window_start, NEGATIVE)
            prefix = f"{key}/term:" if key else "term:"
            ongoing = ongoing_terms(self.context.incidents, self.name, prefix)
            seen: set[str] = set()  # what a shorter window found already: one firing
            for window in windows:
                window_q = self.query(key, now - window, now, NEGATIVE)
                tested = _Tested(self, window, len(windows))
                # topics first: the terms' test needs every candidate counted
                topics = self._topics(store, window_q, baseline_q, tested) \
                    if "topic" in c.fields else []
                found = self._terms(store, window_q, baseline_q, tested) \
                    if "term" in c.fields else []
                found += tested.significant(topics)
                for name, count, expected, p_value, related, reviews in found:
                    names = {name, *(f"term:{t}" for t in related)}
                    if names & seen:
                        continue
                    seen |= names
                    group = f"{key}/{name}" if key else name
                    if name.startswith("term:"):
                        group = keep_key(ongoing, {name[len("term:"):], *related}, group)
                    firings.append(self._firing(store, key, now, window_q, baseline_q, name,
                                                count, expected, p_value, related, reviews,
                                                group, window))
        return firings

    def _terms(self, store: ReviewStore, window_q: ReviewQuery, baseline_q: ReviewQuery,
               tested: "_Tested"):
        window = store.search(window_q, limit=WINDOW_SAMPLE).reviews
        baseline = store.search(baseline_q, limit=BASELINE_SAMPLE).reviews
        users: dict[str, set[str]] = {}
        for review in window:
            for token in set(review.tokens):
                if len(token) >= 2 and any(ch.isalnum() for ch in token):
                    users.setdefault(token, set()).add(review.id)
        base = {}
        for review in baseline:
            for token in set(review.tokens) & users.keys():
                base[token] = base.get(token, 0) + 1
        tested.add([(len(ids), len(window), base.get(term, 0), len(baseline))
                    for term, ids in users.items() if len(ids) >= 2])
        candidates = []
        for term, ids in users.items():
            found = tested.emerging(len(ids), len(window), base.get(term, 0), len(baseline))
            if found:
                p_value = tested.test(len(ids), *found)
                if p_value is not None:
                    candidates.append((term, ids, found[0], p_value))
        candidates.sort(key=lambda t: (-len(t[1]), t[3], t[0]))
        clusters: list[list] = []
        for term, ids, expected, p_value in candidates:
            for cluster in clusters:
                lead = cluster[1]
                if len(ids & lead) * 2 >= min(len(ids), len(lead)):
                    cluster[4].append(term)
                    break
            else:
                clusters.append([term, ids, expected, p_value, []])
        # the term's reviews come from the window sample already read, not a second search
        return [(f"term:{t}", len(ids), e, p, related, [r for r in window if t in r.tokens])
                for t, ids, e, p, related in clusters]

    def _topics(self, store: ReviewStore, window_q: ReviewQuery, baseline_q: ReviewQuery,
                tested: "_Tested"):
        window_n = store.count(window_q)[None]
        base_n = store.count(baseline_q)[None]
        base = store.count(baseline_q, group_by="topic")
        found = []
        topics = store.count(window_q, group_by="topic")
        tested.add([(count, window_n, base.get(topic, 0), base_n)
                    for topic, count in topics.items() if topic])
        for topic, count in sorted(topics.items(), key=lambda kv: (-kv[1], kv[0] or "")):
            emerging = topic and tested.emerging(count, window_n, base.get(topic, 0), base_n)
            if emerging:
                found.append((f"topic:{topic}", count, *emerging, [], None))
        return found

    def _firing(self, store: ReviewStore, key: str | None, now: datetime,
                window_q: ReviewQuery, baseline_q: ReviewQuery, name: str, count: int,
                expected: float, p_value: float, related: list[str],
                reviews: list[Review] | None, group: str, window: timedelta) -> Firing:
        """``reviews``: the term's window reviews; None for a topic, whose are searched."""
        c = self.config
        what = name.split(":", 1)[1]
        query = window_q
        if name.startswith("topic:"):
            query = replace(window_q, topics=(what,))

        def summary(scope: str) -> tuple[str, str]:
            zh = (f"近 {wording.zh_duration(window)}负面评论中“{what}”出现 {count} 条，"
                  f"基线预期 {expected:.1f} 条")
            en = (f"“{what}” in {count} negative reviews in the last "
                  f"{wording.en_duration(window)}, against {expected:.1f} expected")
            return wording.scoped(scope if c.group_by else "", zh, en)

        if reviews is None:
            reviews = store.search(query, limit=WINDOW_SAMPLE).reviews
        explained = explain(
            store, rule=self, group_key=key or "", window_query=query,
            baseline_query=baseline_q, headline=f"{wording.HEADLINES[self.type_name]}：{what}",
            summary=summary, reviews=reviews,
            facts={"metric": name, "count": count, "expected": round(expected, 3),
                   "p_value": p_value, "related_terms": related})
        return self.explained_firing(group, now, window_q.start, count, round(expected, 3),
                                     p_value, explained)



class _Tested:
    """The candidates of one group, window and tick: each passes the count and ratio floors
    here; the significance test comes once every candidate is known (``significant``), since
    the calibrated budget is shared by all of them. A candidate's ``p_value`` slot carries
    ``(expected, alpha)`` until then.

    The budget (the window's share of ``false_alarms_per_week``: windows nested as
    ``negative_spike``'s) is shared by water-filling (``thresholds.water_level``): a
    candidate whose floors alone (``min_count``, ``min_ratio``) already make it rarer than
    its share is charged only what its floors let through, and what it leaves goes to the
    rest. Most words of a window can never reach their floors by chance (seen in two of the
    window's reviews, against a baseline share that needs five times that), so the few
    that can share nearly the whole budget instead of a hundredth of it."""

    def __init__(self, rule: "EmergingTopicRule", window: timedelta, windows: int):
        self.config = rule.config
        self.window = window
        self.windows = windows
        self.candidates: list[tuple[int, int, int, int]] = []
        self._level: float | None = None

    def add(self, candidates: list[tuple[int, int, int, int]]) -> None:
        """Tested candidates as ``(count, window reviews, baseline count, baseline
        reviews)``."""
        self.candidates += candidates
        self._level = None

    def _shape(self, window_n: int, base_count: int, base_n: int) -> tuple[float, float]:
        """``(expected, alpha)`` of a candidate."""
        share = (base_count + 0.5) / (base_n + 1)
        return share * window_n, TERM_DISPERSION + 1.0 / (base_count + 1.0)

    @property
    def budget(self) -> float:
        """The budget each candidate may use (see the class)."""
        if self._level is None:
            c = self.config
            share = calibration.window_budget(c.false_alarms_per_week, self.windows)
            if not self.candidates:
                self._level = share
            else:
                shapes = [self._shape(*cand[1:]) for cand in self.candidates]
                floors = [max(c.min_count, math.ceil(c.min_ratio * e - 1e-9)) for e, _ in shapes]
                rates = thresholds.floor_rates(
                    floors, [max(e, thresholds.EXPECTED_FLOOR) for e, _ in shapes],
                    [a for _, a in shapes], thresholds.hours(self.window))
                self._level = thresholds.water_level(rates, share)
        return self._level

    def emerging(self, count: int, window_n: int, base_count: int, base_n: int
                 ) -> tuple[float, object] | None:
        c = self.config
        expected, alpha = self._shape(window_n, base_count, base_n)
        if count < c.min_count or count < c.min_ratio * expected:
            return None
        if c.p_value is not None:
            share = (base_count + 0.5) / (base_n + 1)
            p_value = float(binom.sf(count - 1, window_n, share))
            return (expected, p_value) if p_value < c.p_value else None
        return expected, ("pending", alpha)

    def test(self, count: int, expected: float, pending) -> float | None:
        """The p-value of a candidate passing its test, else None."""
        if not isinstance(pending, tuple):
            return pending  # decided by ``p_value`` already
        alpha = pending[1]
        mean = max(expected, thresholds.EXPECTED_FLOOR)
        if count < thresholds.upper_threshold(mean, alpha, self.window, self.budget):
            return None
        return calibration.tail(count, mean, alpha)

    def significant(self, found: list) -> list:
        """The candidates of ``found`` passing their test, with their p-values."""
        kept = []
        for name, count, expected, pending, *rest in found:
            p_value = self.test(count, expected, pending)
            if p_value is not None:
                kept.append((name, count, expected, p_value, *rest))
        return kept
