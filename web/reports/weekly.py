"""The weekly trend report managers take away: one ISO week (Monday 00:00 to Monday 00:00 in
the config timezone) beside the week before it.

- ``overview``: per entity the reader may see (and all of them together) reviews, negative /
  neutral / positive, negative share and net sentiment, with last week's figures and the
  change in negative share;
- ``days``: the same counts per local day and entity (the trend, ready for a pivot table);
- ``topics``: topics of this week's negative reviews against last week's;
- ``incidents``: incidents opened in the week, their status and time to resolve.

``build_weekly_report`` reads through a ``ReportReads`` (the web passes reads scoped to the
signed-in user, the CLI the whole store), so the figures are those of one scope throughout.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Protocol, Sequence

from models.config import EntityConfig
from models.state import Incident
from models.store import ReviewQuery, TrendPoint
from web.trend_series import SENTIMENT_ORDER, TrendBucket, fold, store_step

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
ALL = "*"  # the entity key of the row that covers every entity in scope


class ReportReads(Protocol):
    def count(self, query: ReviewQuery, group_by: str | None) -> dict[str | None, int]: ...
    def trend(self, query: ReviewQuery, interval: timedelta,
              group_by: str | None) -> list[TrendPoint]: ...
    def incidents(self, start: datetime, end: datetime) -> list[Incident]: ...


@dataclass
class Tally:
    negative: int = 0
    neutral: int = 0
    positive: int = 0
    other: int = 0  # not analysed yet

    @classmethod
    def of(cls, counts: dict) -> "Tally":
        known = {k: counts.get(k, 0) for k in SENTIMENT_ORDER}
        return cls(**known, other=sum(counts.values()) - sum(known.values()))

    @property
    def total(self) -> int:
        return self.negative + self.neutral + self.positive + self.other

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.total if self.total else None

    @property
    def net_sentiment(self) -> float | None:
        return (self.positive - self.negative) / self.total if self.total else None


@dataclass
class EntityWeek:
    entity: str  # ALL for every entity in scope
    name: str
    week: Tally
    previous: Tally

    @property
    def share_change(self) -> float | None:
        now, before = self.week.negative_share, self.previous.negative_share
        return None if now is None or before is None else now - before


@dataclass
class WeeklyReport:
    week: str             # ISO week, "2026-W47"
    start: datetime       # UTC, Monday 00:00 local
    end: datetime         # UTC, the next Monday 00:00 local
    tz: tzinfo
    complete: bool        # False while the week is still running
    overview: list[EntityWeek] = field(default_factory=list)
    days: list[tuple[date, str, Tally]] = field(default_factory=list)  # (local day, entity, ...)
    topics: list[tuple[str, int, int]] = field(default_factory=list)   # (topic, week, previous)
    incidents: list[Incident] = field(default_factory=list)


def parse_week(text: str) -> tuple[int, int]:
    """``"2026-W47"`` → ``(2026, 47)``; ValueError naming what is expected."""
    match = WEEK.match(text.strip())
    if match:
        year, week = int(match[1]), int(match[2])
        try:
            date.fromisocalendar(year, week, 1)
            return year, week
        except ValueError:
            pass
    raise ValueError(f"expected an ISO week such as 2026-W47, got {text!r}")


def last_full_week(now: datetime, tz: tzinfo) -> str:
    year, week, _ = (now.astimezone(tz).date() - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def recent_weeks(now: datetime, tz: tzinfo, count: int = 8) -> list[str]:
    """The last ``count`` complete weeks, newest first, then the week running now."""
    today = now.astimezone(tz).date()
    weeks = [(today - timedelta(days=7 * k)).isocalendar() for k in range(1, count + 1)]
    current = today.isocalendar()
    return [f"{y}-W{w:02d}" for y, w, _ in weeks] + [f"{current[0]}-W{current[1]:02d}"]


def week_bounds(week: str, tz: tzinfo) -> tuple[datetime, datetime]:
    year, number = parse_week(week)
    monday = date.fromisocalendar(year, number, 1)
    return tuple(datetime.combine(monday + timedelta(days=d), time(), tz).astimezone(timezone.utc)
                 for d in (0, 7))


def build_weekly_report(reads: ReportReads, week: str, tz: tzinfo,
                        entities: Sequence[EntityConfig], now: datetime,
                        all_name: str = "全部", only: Sequence[str] = ()) -> WeeklyReport:
    """The report of ``week`` (``"2026-W47"``) for ``entities``; with ``only`` (entity ids)
    the "all" row, the topics and the incidents cover just those entities too."""
    start, end = week_bounds(week, tz)
    before = start - (end - start)
    report = WeeklyReport(week, start, end, tz, complete=now >= end)
    only = tuple(only)
    if only:
        entities = [e for e in entities if e.id in only]
    scopes: list[tuple[str, str, tuple[str, ...]]] = [(ALL, all_name, only)]
    scopes += [(e.id, e.name, (e.id,)) for e in entities]
    edges = [datetime.combine(start.astimezone(tz).date() + timedelta(days=d), time(), tz)
             .astimezone(timezone.utc) for d in range(8)]
    step = store_step(edges, tz)

    def tally(ids: tuple[str, ...], lo: datetime, hi: datetime) -> Tally:
        return Tally.of(reads.count(ReviewQuery(entities=ids, start=lo, end=hi), "sentiment"))

    for key, name, ids in scopes:
        report.overview.append(EntityWeek(key, name, tally(ids, start, end),
                                          tally(ids, before, start)))
        buckets = [TrendBucket(lo, hi) for lo, hi in zip(edges, edges[1:])]
        fold(reads.trend(ReviewQuery(entities=ids, start=start, end=end), step, "sentiment"),
             buckets, "sentiments")
        report.days += [(b.start.astimezone(tz).date(), key, Tally.of(b.sentiments))
                        for b in buckets]
    report.days.sort(key=lambda row: (row[0], row[1] != ALL))

    def negative_topics(lo: datetime, hi: datetime) -> dict:
        return reads.count(ReviewQuery(entities=only, sentiments=("negative",), start=lo,
                                       end=hi), "topic")
    now_topics, old_topics = negative_topics(start, end), negative_topics(before, start)
    report.topics = sorted(((str(t), n, old_topics.get(t, 0)) for t, n in now_topics.items()
                            if t is not None), key=lambda row: (-row[1], row[0]))
    report.incidents = sorted((i for i in reads.incidents(start, end)
                               if not only or set(only) & set(i.entities or ())),
                              key=lambda i: (i.opened_at, i.id))
    return report
