"""``negative_spike``: more negative reviews in the current window than the baseline explains.

For each group (or once, ungrouped) the rule compares the negative count in the window
``[now − window, now)`` with the count expected from the baseline period
``[now − baseline, now − window)``:

- rate = baseline negatives / covered seconds, where the covered period starts at the first
  stored review (any sentiment) of the group in the baseline range, so a store that has only
  collected for an hour is not judged against six empty days; it is never shorter than one
  window, so a few minutes of history cannot make the rate explode;
- expected = max(rate × window, ``EXPECTED_FLOOR``), so an empty baseline still gives a
  finite ratio and 0 against 0 never fires;
- fire when count ≥ ``min_count``, count ≥ ``min_ratio`` × expected and the Poisson upper tail
  P(X ≥ count | expected) < ``p_value``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from scipy.stats import poisson

from alerting.explanation import explain_spike
from alerting.rules.base import Firing, Rule
from models.store import ReviewQuery, ReviewStore

EXPECTED_FLOOR = 0.1
NEGATIVE = ("negative",)


@dataclass(frozen=True)
class SpikeTest:
    """The numbers behind one decision; all of them end up in the explanation."""
    count: int
    baseline_count: int
    covered: timedelta
    expected: float
    ratio: float
    p_value: float


def spike_test(count: int, baseline_count: int, covered: timedelta,
               window: timedelta) -> SpikeTest:
    """Decide nothing, compute everything: expected count, ratio and Poisson tail."""
    covered = max(covered, window)
    expected = max(baseline_count / covered.total_seconds() * window.total_seconds(),
                   EXPECTED_FLOOR)
    p_value = float(poisson.sf(count - 1, expected))  # sf(k-1) = P(X >= k)
    return SpikeTest(count, baseline_count, covered, expected, count / expected, p_value)


class NegativeSpikeRule(Rule):
    type_name = "negative_spike"
    required_options = frozenset({"window", "baseline", "min_count", "p_value", "min_ratio"})

    def evaluate(self, store: ReviewStore, now: datetime) -> list[Firing]:
        c = self.config
        window_start = now - c.window
        baseline_start = min(now - c.baseline, window_start)
        current = store.count(self._query(None, window_start, now, NEGATIVE),
                              group_by=c.group_by)
        firings = []
        for key in sorted(current, key=lambda k: k or ""):
            count = current[key]
            if count < c.min_count or (c.group_by == "entity" and c.entities
                                       and key not in c.entities):
                continue
            test = self._test(store, key, count, baseline_start, window_start)
            if self.fires(test):
                firings.append(self._firing(store, key, test, now, baseline_start))
        return firings

    def fires(self, test: SpikeTest) -> bool:
        c = self.config
        return (test.count >= c.min_count and test.count >= c.min_ratio * test.expected
                and test.p_value < c.p_value)

    def _query(self, key: str | None, start: datetime, end: datetime,
               sentiments: tuple[str, ...] = ()) -> ReviewQuery:
        """The rule's filters, narrowed to group ``key`` unless it is None."""
        c = self.config
        by = c.group_by if key is not None else None
        entities = (key,) if by == "entity" else tuple(c.entities)
        sources = (key,) if by == "source" else tuple(c.sources)
        return ReviewQuery(sources=sources, entities=entities, sentiments=sentiments,
                           start=start, end=end)

    def _test(self, store: ReviewStore, key: str | None, count: int,
              baseline_start: datetime, window_start: datetime) -> SpikeTest:
        baseline_count = store.count(
            self._query(key, baseline_start, window_start, NEGATIVE))[None]
        oldest = store.iter_reviews(self._query(key, baseline_start, window_start), batch_size=1)
        try:
            first = next(oldest, None)
        finally:
            oldest.close()
        covered = window_start - first.published_at if first else timedelta(0)
        return spike_test(count, baseline_count, covered, self.config.window)

    def _firing(self, store: ReviewStore, key: str | None, test: SpikeTest, now: datetime,
                baseline_start: datetime) -> Firing:
        c = self.config
        window_start = now - c.window
        explained = explain_spike(
            store, rule=self, group_key=key or "", test=test,
            window_query=self._query(key, window_start, now, NEGATIVE),
            baseline_query=self._query(key, baseline_start, window_start, NEGATIVE))
        return Firing(rule=self.name, group_key=key or "", at=now, metric=test.count,
                      baseline=test.expected, p_value=test.p_value,
                      window_start=window_start, window_end=now, title=explained.title,
                      entities=explained.entities, review_ids=explained.review_ids,
                      explanation=explained.details)
