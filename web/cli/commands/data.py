"""``koubei config check`` and ``koubei reviews``: the config file and the stored reviews."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from models.exceptions import ConfigError
from web.cli.options import iso_time, with_runtime


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False), required=False)
@click.option("--home", type=click.Path(file_okay=False),
              help="Data directory whose config to check (default: $KOUBEI_HOME or ./koubei-data).")
def config_check(path: str | None, home: str | None) -> None:
    """Validate PATH (default: the config koubei would run with: $KOUBEI_CONFIG, else
    koubei.yaml in the data directory, else the demo config) against the system's source,
    rule and channel types; print every problem, or "ok"."""
    from models.loader import load_config
    from models.runtime import default_config_path, koubei_home
    from web.runtime import PLUGINS  # here: `koubei --help` loads no plugin registry

    target = Path(path) if path else default_config_path(koubei_home(home))
    click.echo(f"checking {target}", err=True)
    try:
        load_config(target, PLUGINS)
    except ConfigError as exc:
        click.echo(str(exc))
        click.echo(f"{len(exc.problems)} problem(s)", err=True)
        raise SystemExit(1)
    click.echo("ok")


@click.command("reviews")
@click.option("--source", "sources", multiple=True, help="Only reviews from this source.")
@click.option("--entity", "entities", multiple=True, help="Only reviews about this entity.")
@click.option("--since", help="Only reviews published at or after this ISO-8601 time (UTC if no offset).")
@click.option("--until", help="Only reviews published before this ISO-8601 time.")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@with_runtime
def reviews_command(runtime, sources, entities, since, until, fmt) -> None:
    """Write stored reviews to stdout, oldest first."""
    from models.store import ReviewQuery

    query = ReviewQuery(sources=tuple(sources), entities=tuple(entities),
                        start=iso_time(since, "--since"), end=iso_time(until, "--until"))
    out = sys.stdout
    for review in runtime.store.iter_reviews(query):
        out.write(json.dumps(review.to_dict(), ensure_ascii=False) + "\n")

