"""The date range of an analytics read, from the query string, and the period before it.

Every analytics page and API route (trends, compare, channels, CX, hot words) reads the same
parameters:

- ``range``: a preset ending now (or at ``until``): ``24h``, ``7d``, ``30d`` or ``90d``;
- ``since`` / ``until``: any range instead (ISO-8601 dates or times; naive ones and bare dates
  are in the config timezone; a bare ``until`` date includes that whole day). ``since``
  without ``until`` runs to now; ``until`` alone ends a preset there.

The previous period is the range of the same length just before (``Period.previous``), which
every "change" figure compares against.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from models.review import utcnow
from web import params

PRESETS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30),
           "90d": timedelta(days=90)}
LONGEST = timedelta(days=400)  # a custom range longer than this is refused (400)


@dataclass(frozen=True)
class Period:
    start: datetime      # inclusive, aware
    end: datetime        # exclusive, aware
    preset: str | None   # the ``range`` preset, None for a custom range

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def last_day(self) -> datetime:
        """The last instant inside the period (its date is what an ``until`` picker shows)."""
        return self.end - timedelta(microseconds=1)

    def previous(self) -> "Period":
        return Period(self.start - self.length, self.start, self.preset)

    def args(self) -> dict[str, str]:
        """Query-string arguments that select this period again (for links)."""
        if self.preset is not None:
            return {"range": self.preset}
        return {"since": self.start.isoformat(), "until": self.end.isoformat()}

    def to_dict(self) -> dict[str, str | None]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "preset": self.preset}


def period_from_request(tz: tzinfo, default: str = "30d",
                        presets: tuple[str, ...] = tuple(PRESETS)) -> Period:
    """The period the request asks for (see the module docstring); ``InvalidParameter`` for
    an unknown preset or an unreadable time. As the listings do, ``until`` at or before
    ``since`` is an empty window (nothing is in it); a range longer than ``LONGEST`` is
    shortened to the ``LONGEST`` before ``until`` (the answer's ``period`` says so)."""
    preset = params.choice("range", presets, default)
    since = params.moment("since", tz)
    if since is None:
        end = params.moment("until", tz) or utcnow()
        return Period(end - PRESETS[preset], end, preset)
    until = params.moment("until", tz, end_of_day=True) or utcnow()
    since = max(since, until - LONGEST)
    return Period(since, max(since, until), None)
