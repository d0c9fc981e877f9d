"""``source_silent``: a source that normally produces reviews has gone quiet, or its crawls
are recorded as broken, so a dead spider is never mistaken for calm.

Sources watched: the rule's ``sources``, else every source with reviews in the baseline or a
crawl record. Per source (the group key is always the source name):

- broken: its crawl checkpoint says ``broken`` (with the error and since when) → fire;
- quiet: the window's count against the seasonal expectation of ``alerting.detect.baselines``; fire
  when expected ≥ ``min_expected`` and P(X ≤ count | expected) < ``p_value``.

A declared planned outage covering the window silences both.

An incident is resolved only on evidence that the source is back: for a broken crawl, a
successful one; for a quiet source, a review from it published after the incident opened.
Until then, each tick keeps the incident alive with a firing that opens nothing
(``opens=False``), so a source still dead at night, when too few reviews are expected to tell
quiet from dead, is not declared recovered because the expectation fell.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field
from scipy.stats import poisson
from sqlalchemy import select

from alerting.detect import wording
from alerting.detect.baselines import SeasonalProfile, history, rate_level
from alerting.detect.calendar import Scope
from alerting.detect.explanation import explain
from alerting.detect.rules.base import Firing, Rule
from alerting.detect.rules.burst_keys import active_incidents
from models.config import Duration, RuleBase
from models.state import CrawlCheckpoint
from models.store import ReviewQuery, ReviewStore


class SourceSilentConfig(RuleBase):
    """A source that normally produces reviews is quiet, or its crawls are recorded broken."""
    type: Literal["source_silent"]
    window: Duration = timedelta(hours=2)
    baseline: Duration = timedelta(days=7)
    min_expected: Annotated[float, Field(gt=0)] = 5.0  # quiet only means something past this
    p_value: Annotated[float, Field(gt=0, lt=0.5)] = 0.001


class SourceSilentRule(Rule):
    config_model = SourceSilentConfig
    required_options = frozenset({"window", "baseline", "min_expected", "p_value"})

    def evaluate(self, store: ReviewStore, now: datetime) -> list[Firing]:
        c = self.config
        window_start, baseline_start = self.periods(now)
        records = self._records()
        sources = set(c.sources) or (
            {k for k in store.count(ReviewQuery(entities=tuple(c.entities),
                                                start=baseline_start, end=now),
                                    group_by="source") if k} | set(records))
        firings = []
        for source in sorted(sources):
            scope = Scope(tuple(c.entities), (source,))
            if self.context.calendar.outage(window_start, now, scope):
                continue
            query = ReviewQuery(sources=(source,), entities=tuple(c.entities))
            record = records.get(source)
            if record is not None and record.status == "broken":
                firings.append(self._firing(store, source, now, query, 0, 0.0, 0.0, record))
                continue
            past = history(store, _span(query, baseline_start, window_start), baseline_start,
                           window_start, self.context.calendar, scope)
            if not past.buckets:
                continue
            profile = SeasonalProfile(self.context.timezone).fit(past.buckets)
            weighted = profile.integral(window_start, now)
            expected = rate_level(past.total(), profile, past.buckets, weighted) * weighted
            count = store.count(_span(query, window_start, now))[None]
            p_value = float(poisson.cdf(count, expected))
            if expected >= c.min_expected and p_value < c.p_value:
                firings.append(self._firing(store, source, now, query, count, expected,
                                            p_value, record))
        return firings + self._still_dead(store, now, {f.group_key for f in firings})

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
                                   p_value=1.0, window_start=now - self.config.window,
                                   window_end=now, opens=False, severity=self.severity))
        return kept

    def _records(self) -> dict[str, CrawlCheckpoint]:
        if self.context.state is None:
            return {}
        with self.context.state.session() as session:
            return {r.source: r for r in session.scalars(select(CrawlCheckpoint))}

    def _firing(self, store: ReviewStore, source: str, now: datetime, query: ReviewQuery,
                count: int, expected: float, p_value: float,
                record: CrawlCheckpoint | None) -> Firing:
        c = self.config
        window_start = now - c.window
        broken = record is not None and record.status == "broken"

        def summary(_scope: str) -> tuple[str, str]:
            if broken:
                return (f"{source}：抓取失败（自 {record.broken_since:%Y-%m-%d %H:%M} UTC）："
                        f"{record.last_error}",
                        f"{source}: crawls failing since {record.broken_since:%Y-%m-%d %H:%M}"
                        f" UTC: {record.last_error}")
            return (f"{source}：近 {wording.zh_duration(c.window)}仅 {count} 条评论，"
                    f"基线预期 {expected:.1f} 条",
                    f"{source}: {count} reviews in the last {wording.en_duration(c.window)}, "
                    f"against {expected:.1f} expected")

        facts = {"metric": "reviews", "source": source, "count": count,
                 "expected": round(expected, 3), "p_value": p_value, "broken": broken}
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


def _span(query: ReviewQuery, start: datetime, end: datetime) -> ReviewQuery:
    return ReviewQuery(sources=query.sources, entities=query.entities, start=start, end=end)
