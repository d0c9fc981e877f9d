"""Command-line pieces owned by ``models``: the shared ``with_runtime`` option decorator, and
the ``config check`` and ``reviews`` commands."""
from __future__ import annotations

import functools
import json
import sys
from datetime import datetime, timezone
from typing import Any, Callable

import click

from models.exceptions import ConfigError
from models.loader import load_config
from models.runtime import open_runtime
from models.store import ReviewQuery


def with_runtime(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--config`` and ``--home`` to a click command and pass it an open ``runtime``.

    A config error is printed with every problem (file, key path, expectation) and exits 2.
    """
    @click.option("--config", "config_path", type=click.Path(dir_okay=False),
                  help="Config file (default: $KOUBEI_CONFIG, $KOUBEI_HOME/koubei.yaml, demo).")
    @click.option("--home", type=click.Path(file_okay=False),
                  help="Data directory (default: $KOUBEI_HOME or ./koubei-data).")
    @functools.wraps(command)
    def wrapper(*args: Any, config_path: str | None, home: str | None, **kwargs: Any) -> Any:
        try:
            runtime = open_runtime(config_path, home)
        except ConfigError as exc:
            click.echo(str(exc), err=True)
            raise SystemExit(2)
        try:
            return command(*args, runtime=runtime, **kwargs)
        finally:
            runtime.close()
    return wrapper


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
def config_check(path: str) -> None:
    """Validate PATH; print every problem, or "ok"."""
    try:
        load_config(path)
    except ConfigError as exc:
        click.echo(str(exc))
        raise SystemExit(1)
    click.echo("ok")


def iso_time(value: str | None, param_hint: str | None = None) -> datetime | None:
    """A command-line ISO-8601 time; a time without an offset is UTC. Raises
    ``click.BadParameter`` naming ``param_hint``."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected an ISO-8601 time such as 2026-11-02T10:00+08:00, "
                                 f"got {value!r}", param_hint=param_hint)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def iso_time_option(_ctx: object, _param: object, value: str | None) -> datetime | None:
    """``iso_time`` as a click option callback."""
    return iso_time(value)


@click.command("reviews")
@click.option("--source", "sources", multiple=True, help="Only reviews from this source.")
@click.option("--entity", "entities", multiple=True, help="Only reviews about this entity.")
@click.option("--since", help="Only reviews published at or after this ISO-8601 time (UTC if no offset).")
@click.option("--until", help="Only reviews published before this ISO-8601 time.")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@with_runtime
def reviews_command(runtime, sources, entities, since, until, fmt) -> None:
    """Write stored reviews to stdout, oldest first."""
    query = ReviewQuery(sources=tuple(sources), entities=tuple(entities),
                        start=iso_time(since, "--since"), end=iso_time(until, "--until"))
    out = sys.stdout
    for review in runtime.store.iter_reviews(query):
        out.write(json.dumps(review.to_dict(), ensure_ascii=False) + "\n")


COMMANDS = [config_group, reviews_command]
