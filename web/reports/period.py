"""The period a briefing covers, in the config timezone: a local day (``2026-11-05``, the
daily 日报), an ISO week (``2026-W45``, Monday 00:00 to Monday 00:00, the weekly 周报) or any
range of whole local days (``2026-11-01..2026-11-10``, both days included). Each period is
compared with the period of the same length just before it.

``parse_period`` is the one parser of the three spellings (the web, the CLI and the mail use
it); its ValueError names what is expected. ``latest_with_data`` picks the default: the day or
week holding the newest review published up to now, so a first day is never an empty report.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Callable

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_RANGE_DAYS = 92  # a quarter: the trend has one bar per day
KINDS = ("daily", "weekly", "range")


@dataclass(frozen=True)
class Period:
    kind: str        # daily | weekly | range
    key: str         # how it is written: 2026-11-05, 2026-W45, 2026-11-01..2026-11-10
    first: date      # the first local day
    days: int        # how many local days
    tz: tzinfo

    @property
    def last(self) -> date:
        return self.first + timedelta(days=self.days - 1)

    def edge(self, day: date) -> datetime:
        """Local midnight starting ``day``, in UTC."""
        return datetime.combine(day, time(), self.tz).astimezone(timezone.utc)

    @property
    def start(self) -> datetime:
        return self.edge(self.first)

    @property
    def end(self) -> datetime:
        return self.edge(self.first + timedelta(days=self.days))

    @property
    def previous(self) -> "Period":
        """The period of the same kind and length just before this one."""
        first = self.first - timedelta(days=self.days)
        return Period(self.kind, _key(self.kind, first, self.days), first, self.days, self.tz)

    def bucket_edges(self) -> list[datetime]:
        """Trend buckets: local hours for a day, local days otherwise (UTC edges)."""
        if self.kind == "daily":
            start = self.start
            return [start + timedelta(hours=h) for h in range(25)]
        return [self.edge(self.first + timedelta(days=d)) for d in range(self.days + 1)]


def _key(kind: str, first: date, days: int) -> str:
    if kind == "daily":
        return first.isoformat()
    if kind == "weekly":
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{first.isoformat()}..{(first + timedelta(days=days - 1)).isoformat()}"


def day(value: date, tz: tzinfo) -> Period:
    return Period("daily", value.isoformat(), value, 1, tz)


def week_of(value: date, tz: tzinfo) -> Period:
    monday = value - timedelta(days=value.weekday())
    return Period("weekly", _key("weekly", monday, 7), monday, 7, tz)


def day_range(first: date, last: date, tz: tzinfo) -> Period:
    """The local days ``first`` to ``last`` inclusive; ValueError when reversed or too long."""
    days = (last - first).days + 1
    if days < 1:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    if days > MAX_RANGE_DAYS:
        raise ValueError(f"a range covers at most {MAX_RANGE_DAYS} days, got {days}")
    return Period("range", _key("range", first, days), first, days, tz)


def parse_day(text: str) -> date:
    """``"2026-11-05"`` → the date; ValueError naming what is expected."""
    if DAY.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"expected a date such as 2026-11-05, got {text!r}")


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


def parse_period(text: str, tz: tzinfo) -> Period:
    """``2026-11-05`` (a day), ``2026-W45`` (a week) or ``2026-11-01..2026-11-10`` (days,
    inclusive); ValueError naming the three forms."""
    text = text.strip()
    try:
        if ".." in text:
            first, _, last = text.partition("..")
            return day_range(parse_day(first.strip()), parse_day(last.strip()), tz)
        if "W" in text:
            year, number = parse_week(text)
            return week_of(date.fromisocalendar(year, number, 1), tz)
        return day(parse_day(text), tz)
    except ValueError as exc:
        raise ValueError(f"{exc} (a period is a day such as 2026-11-05, an ISO week such as "
                         "2026-W45, or a range such as 2026-11-01..2026-11-10)") from None


def last_complete(kind: str, now: datetime, tz: tzinfo) -> Period:
    """Yesterday (daily) or last week (weekly), local: what a scheduled mail sends."""
    today = now.astimezone(tz).date()
    if kind == "daily":
        return day(today - timedelta(days=1), tz)
    return week_of(today - timedelta(days=7), tz)


def latest_with_data(kind: str, newest: Callable[[datetime], datetime | None], now: datetime,
                     tz: tzinfo) -> Period:
    """The day or week holding ``newest(now)`` (the newest review published before ``now``),
    else the one running now."""
    at = newest(now) or now
    local = at.astimezone(tz).date()
    return day(local, tz) if kind == "daily" else week_of(local, tz)


def recent(kind: str, now: datetime, tz: tzinfo, count: int) -> list[Period]:
    """The day or week running now and the ``count - 1`` before it, newest first."""
    today = now.astimezone(tz).date()
    if kind == "daily":
        return [day(today - timedelta(days=k), tz) for k in range(count)]
    return [week_of(today - timedelta(days=7 * k), tz) for k in range(count)]
