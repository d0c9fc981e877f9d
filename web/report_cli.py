"""``koubei report weekly``: the weekly trend report as an Excel workbook or a CSV of the daily
trend, for every entity (the command line has no user scope), e.g. from cron on Monday
morning."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from alerting.detection import public_url
from models.cli import with_runtime
from models.review import utcnow
from models.state import Incident
from models.store import ReviewQuery, TrendPoint
from web.messages import MESSAGES
from web.weekly_export import days_csv, to_xlsx
from web.weekly_report import build_weekly_report, last_full_week, parse_week


class StoreReads:
    """The report's reads over the whole store and state DB."""

    def __init__(self, runtime):
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


def _week(_ctx, _param, value: str | None) -> str | None:
    if value is not None:
        try:
            parse_week(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc))
    return value


@click.group("report")
def report_group() -> None:
    """Reports for managers."""


@report_group.command("weekly")
@click.option("--week", callback=_week, help="ISO week such as 2026-W47 (default: the last "
                                             "complete week in the config timezone).")
@click.option("--entity", "entities", multiple=True, help="Only this entity id (repeatable).")
@click.option("--out", type=click.Path(dir_okay=False), required=True,
              help="File to write: .xlsx (four sheets) or .csv (the daily trend).")
@with_runtime
def weekly_command(runtime, week: str | None, entities: tuple[str, ...], out: str) -> None:
    """Write the weekly trend report of one week beside the week before it."""
    config = runtime.config
    path = Path(out)
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise click.BadParameter("expected a file name ending in .xlsx or .csv", param_hint="--out")
    known = {e.id for e in config.entities}
    for entity in entities:
        if entity not in known:
            raise click.BadParameter(f"unknown entity {entity!r} (configured: "
                                     f"{', '.join(sorted(known)) or 'none'})",
                                     param_hint="--entity")
    tz, now = ZoneInfo(config.timezone), utcnow()
    week = week or last_full_week(now, tz)
    messages = MESSAGES[config.language]
    label = lambda key: messages.get(key, key)  # noqa: E731
    report = build_weekly_report(StoreReads(runtime), week, tz, config.entities, now,
                                 all_name=label("report.all_entities"), only=entities)
    if path.suffix.lower() == ".xlsx":
        base = public_url(config).rstrip("/")
        path.write_bytes(to_xlsx(report, label, lambda i: f"{base}/incidents/{i}"))
    else:
        path.write_bytes(("\ufeff" + days_csv(report, label)).encode("utf-8"))
    every = report.overview[0].week
    click.echo(f"{week}{'' if report.complete else ' (so far)'}: {every.total} reviews, "
               f"{every.negative} negative, {len(report.incidents)} incidents -> {path}")


@report_group.command("send")
@click.argument("name")
@click.option("--week", callback=_week, help="ISO week (default: the last complete week).")
@with_runtime
def send_command(runtime, name: str, week: str | None) -> None:
    """Mail the configured report NAME (config `reports:`) now, as the scheduler would."""
    from alerting.exceptions import DeliveryError
    from web.report_mail import send_weekly_report
    report = next((r for r in runtime.config.reports if r.name == name), None)
    if report is None:
        names = ", ".join(r.name for r in runtime.config.reports) or "none"
        raise click.BadParameter(f"no report {name!r} in the config (configured: {names})",
                                 param_hint="NAME")
    try:
        reached = send_weekly_report(runtime, report, utcnow(), week)
    except DeliveryError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1)
    click.echo(f"report {name} sent to {', '.join(reached)}")


COMMANDS = [report_group]
