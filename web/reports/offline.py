"""The weekly report outside a web request (``koubei report``, the scheduled mail): over the
whole store and state DB, in the config's language, with incident links on the public URL."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models.runtime import Runtime
from models.state import Incident
from models.store import ReviewQuery, TrendPoint
from web.i18n import Label, translator
from web.reports.export import to_xlsx
from web.reports.weekly import WeeklyReport, build_weekly_report, last_full_week


class StoreReads:
    """The report's reads over the whole store and state DB."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def count(self, query: ReviewQuery, group_by: str | None) -> dict[str | None, int]:
        return self.runtime.store.count(query, group_by)

    def trend(self, query: ReviewQuery, interval: timedelta,
              group_by: str | None) -> list[TrendPoint]:
        return self.runtime.store.trend(query, interval, group_by)

    def incidents(self, start: datetime, end: datetime) -> list[Incident]:
        statement = (select(Incident).where(Incident.opened_at >= start, Incident.opened_at < end)
                     .options(selectinload(Incident.events)))
        with self.runtime.state.session() as session:
            return list(session.scalars(statement))


def runtime_report(runtime: Runtime, week: str | None, entities: Sequence[str],
                   now: datetime) -> tuple[WeeklyReport, Label]:
    """The report of ``week`` (default: the last complete one) and the config language's
    labels."""
    config = runtime.config
    tz, label = ZoneInfo(config.timezone), translator(config.language)
    report = build_weekly_report(StoreReads(runtime), week or last_full_week(now, tz), tz,
                                 config.entities, now, all_name=label("report.all_entities"),
                                 only=entities)
    return report, label


def workbook(runtime: Runtime, report: WeeklyReport, label: Label) -> bytes:
    base = runtime.config.web.base_url.rstrip("/")
    return to_xlsx(report, label, lambda incident_id: f"{base}/incidents/{incident_id}")
