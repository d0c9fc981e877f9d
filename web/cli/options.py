"""Helpers every ``koubei`` command shares: ``with_runtime`` (``--config``/``--home`` and an
open runtime) and ISO-8601 time options."""
from __future__ import annotations

import functools
from datetime import datetime, timezone
from typing import Any, Callable

import click

from models.exceptions import ConfigError
from web import logs


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
        from web.runtime import open_runtime  # here: `koubei --help` loads no runtime

        try:
            runtime = open_runtime(config_path, home)
        except ConfigError as exc:
            click.echo(str(exc), err=True)
            raise SystemExit(2)
        logs.use_zone(runtime.config.timezone)  # log times in the zone the scheduler speaks
        try:
            return command(*args, runtime=runtime, **kwargs)
        finally:
            runtime.close()
    return wrapper


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
