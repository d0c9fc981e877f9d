"""``koubei report``: the daily, weekly or any-range briefing (舆情简报) as a PDF, an Excel
workbook or a CSV of the trend, for every entity or a group of them (the command line has no
user scope); ``koubei report send NAME`` mails a configured report now."""
from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import click

from alerting.exceptions import DeliveryError
from web.cli.options import with_runtime
from web.exceptions import FontMissing
from web.reports.period import Period, parse_day, parse_period, parse_week

FORMATS = (".pdf", ".xlsx", ".csv")


def _checked(parse):
    def callback(_ctx, _param, value: str | None) -> str | None:
        if value is not None:
            try:
                parse(value)
            except ValueError as exc:
                raise click.BadParameter(str(exc))
        return value
    return callback


def _write(runtime, period: Period | str, entities: tuple[str, ...], out: str) -> None:
    # Here, not at the top: `koubei --help` loads no report builder, PDF or workbook code.
    from models.review import utcnow
    from web.reports.export import days_csv
    from web.reports.offline import runtime_briefing, workbook
    from web.reports.pdf import to_pdf

    config, path = runtime.config, Path(out)
    if path.suffix.lower() not in FORMATS:
        raise click.BadParameter("expected a file name ending in .pdf, .xlsx or .csv",
                                 param_hint="--out")
    if not path.parent.is_dir():
        raise click.BadParameter(f"no directory {str(path.parent)!r} to write into",
                                 param_hint="--out")
    known = {e.id for e in config.entities}
    for entity in entities:
        if entity not in known:
            raise click.BadParameter(f"unknown entity {entity!r} (configured: "
                                     f"{', '.join(sorted(known)) or 'none'})",
                                     param_hint="--entity")
    now = utcnow()
    briefing, label = runtime_briefing(runtime, period, entities, now)
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            body = to_pdf(briefing, label, now)
        elif suffix == ".xlsx":
            body = workbook(runtime, briefing, label)
        else:
            body = ("\ufeff" + days_csv(briefing, label)).encode("utf-8")
    except FontMissing as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1)
    try:
        path.write_bytes(body)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}")
    every = briefing.total.now
    click.echo(f"{briefing.period.key}{'' if briefing.complete else ' (so far)'}: "
               f"{every.total} reviews, {every.negative} negative, "
               f"{len(briefing.incidents)} incidents -> {path}")


def _tz(runtime) -> ZoneInfo:
    return ZoneInfo(runtime.config.timezone)


ENTITY = click.option("--entity", "entities", multiple=True,
                      help="Only this entity id (repeatable): the group the briefing covers.")
OUT = click.option("--out", type=click.Path(dir_okay=False), required=True,
                   help="File to write: .pdf (the briefing), .xlsx (its sheets and charts) or "
                        ".csv (the trend).")


@click.group("report")
def report_group() -> None:
    """Briefings (舆情简报) for managers."""


@report_group.command("weekly")
@click.option("--week", callback=_checked(parse_week), help="ISO week such as 2026-W47 "
              "(default: the latest week with reviews, in the config timezone).")
@ENTITY
@OUT
@with_runtime
def weekly_command(runtime, week: str | None, entities: tuple[str, ...], out: str) -> None:
    """Write the weekly briefing of one week beside the week before it."""
    _write(runtime, parse_period(week, _tz(runtime)) if week else "weekly", entities, out)


@report_group.command("daily")
@click.option("--day", callback=_checked(parse_day),
              help="Local date such as 2026-11-05 (default: the latest day with reviews).")
@ENTITY
@OUT
@with_runtime
def daily_command(runtime, day: str | None, entities: tuple[str, ...], out: str) -> None:
    """Write the daily briefing of one local day beside the day before it."""
    _write(runtime, parse_period(day, _tz(runtime)) if day else "daily", entities, out)


@report_group.command("range")
@click.option("--from", "first", required=True, help="First local date, e.g. 2026-11-01.")
@click.option("--to", "last", required=True, help="Last local date (included).")
@ENTITY
@OUT
@with_runtime
def range_command(runtime, first: str, last: str, entities: tuple[str, ...], out: str) -> None:
    """Write the briefing of any range of local days beside the same length before it."""
    try:
        period = parse_period(f"{first}..{last}", _tz(runtime))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--from/--to")
    _write(runtime, period, entities, out)


@report_group.command("send")
@click.argument("name")
@click.option("--period", callback=_checked(lambda v: parse_period(v, ZoneInfo("UTC"))),
              help="A day, ISO week or range (default: the last complete day or week).")
@with_runtime
def send_command(runtime, name: str, period: str | None) -> None:
    """Mail the configured report NAME (config `reports:`) now, as the scheduler would."""
    from models.review import utcnow
    from web.reports.mail import send_report

    report = next((r for r in runtime.config.reports if r.name == name), None)
    if report is None:
        names = ", ".join(r.name for r in runtime.config.reports) or "none"
        raise click.BadParameter(f"no report {name!r} in the config (configured: {names})",
                                 param_hint="NAME")
    try:
        reached = send_report(runtime, report, utcnow(),
                              parse_period(period, _tz(runtime)) if period else None)
    except (DeliveryError, FontMissing) as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1)
    click.echo(f"report {name} sent to {', '.join(reached)}")
