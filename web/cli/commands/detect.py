"""``koubei detect``: run detection once and print the firings and incident changes;
``koubei backtest``: replay stored reviews through the rules and write would-be incidents."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import click

from web.cli.options import iso_time_option, with_runtime

PRESENT = timedelta(minutes=2)  # an --at this close to the clock (or one interval) is now
ACTIONS = {"opened": "opened", "reopened": "reopened", "fired": "still firing",
           "elevated": "still elevated", "auto_resolved": "auto-resolved"}


def utcnow() -> datetime:
    """The clock ``--at`` is compared with (a name tests can replace)."""
    return datetime.now(timezone.utc)


def _parse_interval(_ctx: object, _param: object, value: str | None) -> timedelta | None:
    if not value:
        return None
    from models.config import parse_duration  # here: `koubei --help` loads no config model
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc))


@click.command("detect")
@click.option("--at", "at", callback=iso_time_option,
              help="Detect as of this ISO-8601 time (UTC if no offset); default: now. Any "
                   "other time than now is a dry run: it prints what would fire and opens "
                   "and sends nothing (replay history with `koubei backtest`).")
@with_runtime
def detect(runtime, at: datetime | None) -> None:
    """Run every enabled rule once; print firings and incident changes. Exits 1 when a rule
    failed."""
    from alerting.detect.tick import run_detection

    present = max(PRESENT, runtime.config.detection_interval)
    dry_run = at is not None and abs(at - utcnow()) > present
    report = run_detection(runtime, now=at, dry_run=dry_run)
    click.echo(f"detection at {report.at.isoformat()}: {len(report.rules)} rule(s) run, "
               f"{len(report.firings)} firing(s)")
    if dry_run:
        click.echo("dry run: --at is not now, so no incident is opened or changed and "
                   "nothing is sent (use `koubei backtest` to replay history)")
    for firing in report.firings:
        group = f" [{firing.group_key}]" if firing.group_key else ""
        state = "FIRING" if firing.opens else "ELEVATED"  # elevated: keeps an incident open
        if dry_run:
            state = "WOULD FIRE" if firing.opens else "WOULD STAY ELEVATED"
        click.echo(f"{state} {firing.rule}{group}: {firing.metric:g} vs expected "
                   f"{firing.baseline:.2f} (p={firing.p_value:.2g}) — "
                   f"{firing.explanation.get('summary', firing.title)}")
    for change in report.changes:
        line = f"incident #{change.incident_id} {ACTIONS.get(change.action, change.action)}: "
        line += change.title
        if change.notified:
            line += f"; notified {', '.join(change.notified)}"
        for name, error in change.failed.items():
            line += f"; notifying {name} failed: {error}"
        click.echo(line)
    for name, error in report.errors.items():
        click.echo(f"RULE ERROR {name}: {error}", err=True)
    if report.errors:
        raise SystemExit(1)


@click.command("backtest")
@click.option("--from", "start", required=True, callback=iso_time_option,
              help="Replay from this ISO-8601 time (UTC if no offset).")
@click.option("--to", "end", required=True, callback=iso_time_option,
              help="Replay up to this ISO-8601 time.")
@click.option("--rule", "rules", multiple=True, help="Only this rule (repeatable).")
@click.option("--interval", callback=_parse_interval,
              help="Simulated detection interval (default: the config's, e.g. 1m).")
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-",
              help="JSONL output file (default: stdout).")
@with_runtime
def backtest_command(runtime, start: datetime, end: datetime, rules: tuple[str, ...],
                     interval, out) -> None:
    """Replay stored reviews through the rules with a simulated clock; write one JSON line
    per incident they would have opened; a summary goes to stderr."""
    from alerting.detect.backtest import backtest

    try:
        result = backtest(runtime, start, end, rules, interval)
    except ValueError as exc:
        raise click.UsageError(str(exc))
    result.write_jsonl(out)
    click.echo(f"backtest {start.isoformat()} .. {end.isoformat()} every {result.interval}: "
               f"{result.ticks} tick(s), rules {', '.join(result.rules) or 'none'}, "
               f"{len(result.incidents)} incident(s)", err=True)
