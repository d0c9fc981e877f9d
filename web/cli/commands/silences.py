"""``koubei silences add/list/end``: hold notifications back for a while, with a reason."""
from __future__ import annotations

from datetime import datetime

import click

from web.cli.options import iso_time, with_runtime


def _end_time(duration: str | None, until: str | None) -> datetime:
    if bool(duration) == bool(until):
        raise click.UsageError("give exactly one of --for (e.g. 2h) and --until (ISO-8601)")
    if duration:
        from models.config import parse_duration  # here: `koubei --help` loads no config model
        from models.review import utcnow
        try:
            return utcnow() + parse_duration(duration)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--for")
    return iso_time(until, "--until")


@click.group("silences")
def silences_group() -> None:
    """Hold back notifications (incidents are still recorded)."""


@silences_group.command("add")
@click.option("--rule", help="Only this rule (default: every rule).")
@click.option("--entity", help="Only incidents about this entity (default: any).")
@click.option("--for", "duration", help="How long, e.g. 30m, 2h, 1d.")
@click.option("--until", help="Until this ISO-8601 time (UTC if no offset).")
@click.option("--reason", required=True, help="Why, e.g. 已知故障，公告已发布.")
@click.option("--by", "created_by", default="cli", show_default=True)
@with_runtime
def add(runtime, rule, entity, duration, until, reason, created_by) -> None:
    from alerting.respond.silences import SilenceError, add_silence

    config = runtime.config
    if rule and rule not in {r.name for r in config.rules}:
        raise click.BadParameter(f"unknown rule {rule!r}", param_hint="--rule")
    if entity and entity not in {e.id for e in config.entities}:
        raise click.BadParameter(f"unknown entity {entity!r}", param_hint="--entity")
    try:
        silence = add_silence(runtime.state, _end_time(duration, until), reason, created_by,
                              rule, entity)
    except SilenceError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1)
    click.echo(f"silence #{silence.id} until {silence.ends_at.isoformat()}")


@silences_group.command("list")
@with_runtime
def list_command(runtime) -> None:
    """Active silences: id, rule, entity, end (UTC), reason."""
    from alerting.respond.silences import active_silences

    for s in active_silences(runtime.state):
        click.echo(f"#{s.id}\t{s.rule or '*'}\t{s.entity or '*'}\t{s.ends_at.isoformat()}\t"
                   f"{s.reason}")


@silences_group.command("end")
@click.argument("silence_id", type=int)
@with_runtime
def end(runtime, silence_id) -> None:
    from alerting.respond.silences import SilenceError, end_silence

    try:
        end_silence(runtime.state, silence_id)
    except SilenceError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1)
    click.echo(f"silence #{silence_id} ended")
