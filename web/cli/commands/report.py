"""``koubei report weekly``: the weekly trend report as an Excel workbook or a CSV of the daily
trend, for every entity (the command line has no user scope), e.g. from cron on Monday
morning."""
from __future__ import annotations

from pathlib import Path

import click

from web.cli.options import with_runtime


def _week(_ctx, _param, value: str | None) -> str | None:
    if value is not None:
        from web.reports.weekly import parse_week  # here: `koubei --help` loads no report code
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
    from models.review import utcnow
    from web.reports.export import days_csv
    from web.reports.offline import runtime_report, workbook

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
    report, label = runtime_report(runtime, week, entities, utcnow())
    if path.suffix.lower() == ".xlsx":
        path.write_bytes(workbook(runtime, report, label))
    else:
        path.write_bytes(("\ufeff" + days_csv(report, label)).encode("utf-8"))
    every = report.overview[0].week
    click.echo(f"{report.week}{'' if report.complete else ' (so far)'}: {every.total} reviews, "
               f"{every.negative} negative, {len(report.incidents)} incidents -> {path}")


@report_group.command("send")
@click.argument("name")
@click.option("--week", callback=_week, help="ISO week (default: the last complete week).")
@with_runtime
def send_command(runtime, name: str, week: str | None) -> None:
    """Mail the configured report NAME (config `reports:`) now, as the scheduler would."""
    from alerting.exceptions import DeliveryError
    from models.review import utcnow
    from web.reports.mail import send_weekly_report
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
