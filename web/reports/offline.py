"""Briefings outside a web request (``koubei report``, the scheduled mail): over the whole
store and state DB, in the config's language, with incident links on the public URL."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterator, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models.review import Review
from models.runtime import Runtime
from models.state import Incident
from models.store import ReviewQuery, TrendPoint
from web.i18n import Label, translator
from web.reports.briefing import Briefing, build_briefing, newest_published
from web.reports.export import to_xlsx
from web.reports.period import Period, latest_with_data


class StoreReads:
    """The briefing's reads over the whole store and state DB."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def count(self, query: ReviewQuery, group_by: str | None) -> dict[str | None, int]:
        return self.runtime.store.count(query, group_by)

    def trend(self, query: ReviewQuery, interval: timedelta, group_by: str | None,
              offset: timedelta = timedelta(0)) -> list[TrendPoint]:
        return self.runtime.store.trend(query, interval, group_by, offset)

    def reviews(self, query: ReviewQuery) -> Iterator[Review]:
        return self.runtime.store.iter_reviews(query)

    def incidents(self, start: datetime, end: datetime) -> list[Incident]:
        statement = (select(Incident).where(Incident.opened_at >= start, Incident.opened_at < end)
                     .options(selectinload(Incident.events)))
        with self.runtime.state.session() as session:
            return list(session.scalars(statement))


def runtime_briefing(runtime: Runtime, period: Period | str, entities: Sequence[str],
                     now: datetime) -> tuple[Briefing, Label]:
    """The briefing of ``period`` (a ``Period``, or ``"daily"``/``"weekly"`` for the latest
    day or week with data) and the config language's labels."""
    config = runtime.config
    tz, label = ZoneInfo(config.timezone), translator(config.language)
    if isinstance(period, str):
        period = latest_with_data(period, newest_published(runtime.store.search, entities),
                                  now, tz)
    briefing = build_briefing(StoreReads(runtime), period, config.entities, now,
                              all_name=label("report.all_entities"), only=entities)
    return briefing, label


def incident_links(runtime: Runtime):
    base = runtime.config.web.base_url.rstrip("/")
    return lambda incident_id: f"{base}/incidents/{incident_id}"


def workbook(runtime: Runtime, briefing: Briefing, label: Label) -> bytes:
    return to_xlsx(briefing, label, incident_links(runtime))
