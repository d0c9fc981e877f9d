"""``koubei config check`` and ``koubei reviews``: the config file and the stored reviews."""
from __future__ import annotations

import json
import sys

import click

from models.exceptions import ConfigError
from models.loader import load_config
from models.store import ReviewQuery
from web.cli.options import iso_time, with_runtime
from web.runtime import PLUGINS


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
def config_check(path: str) -> None:
    """Validate PATH against the system's source, rule and channel types; print every
    problem, or "ok"."""
    try:
        load_config(path, PLUGINS)
    except ConfigError as exc:
        click.echo(str(exc))
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
    query = ReviewQuery(sources=tuple(sources), entities=tuple(entities),
                        start=iso_time(since, "--since"), end=iso_time(until, "--until"))
    out = sys.stdout
    for review in runtime.store.iter_reviews(query):
        out.write(json.dumps(review.to_dict(), ensure_ascii=False) + "\n")

