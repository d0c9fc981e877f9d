"""``koubei state check`` and ``koubei state migrate``: the relational state database (users,
sessions, incidents, review handling, silences, checkpoints, the scheduler's coordination),
apart from the review store."""
from __future__ import annotations

import sys

import click

from web.cli.options import with_runtime


@click.group("state")
def state_group() -> None:
    """Inspect or move the relational state database."""


@state_group.command("check")
@with_runtime
def check_command(runtime) -> None:
    """Print the database, its migration revision and any difference from the models; exit 1
    when it cannot be reached or does not match."""
    # here, as every import a command needs to run: `koubei --help` loads none of them
    from sqlalchemy.exc import SQLAlchemyError

    from models.migrations import current_revision, head_revision, schema_differences
    from models.state import Base

    try:
        state = runtime.state
        revision, head = current_revision(state.engine), head_revision()
        differences = schema_differences(state.engine, Base.metadata)
    except SQLAlchemyError as exc:
        click.echo(f"state check failed: {type(exc).__name__}: {exc}", err=True)
        raise SystemExit(1)
    click.echo(f"database: {state.engine.url.render_as_string(hide_password=True)}")
    click.echo(f"revision: {revision} (newest: {head})")
    for difference in differences:
        click.echo(f"differs from the models: {difference}")
    if revision != head or differences:
        raise SystemExit(1)


@state_group.command("migrate")
@click.option("--to", "target_url", required=True,
              help="SQLAlchemy URL of the empty database to copy to "
                   "(postgresql://USER:PASSWORD@HOST/DB).")
@click.option("--from", "source_url", default=None,
              help="URL to copy from (default: this installation's state database).")
@with_runtime
def migrate_command(runtime, target_url: str, source_url: str | None) -> None:
    """Copy every row of the state (users, tokens, incidents and their timelines, silences,
    checkpoints, review handling...) into an empty database, migrating both first; verify the
    row counts. Point the config's ``state_url`` (or $KOUBEI_STATE_URL) at the target afterwards."""
    from sqlalchemy.exc import SQLAlchemyError

    from models.runtime import state_url
    from models.state import StateDB
    from models.state_copy import copy_state

    source = StateDB(source_url or state_url(runtime.config, runtime.home))
    target = StateDB(target_url)
    try:
        with click.progressbar(length=0, label="copying", file=sys.stderr) as bar:
            result = copy_state(source, target, lambda table, rows: bar.update(rows))
    except ValueError as exc:
        click.echo(f"not copied: {exc}", err=True)
        raise SystemExit(1)
    except SQLAlchemyError as exc:
        click.echo(f"copy stopped (nothing committed): {type(exc).__name__}: {exc}", err=True)
        raise SystemExit(1)
    finally:
        source.close()
        target.close()
    for table, rows in result.copied.items():
        click.echo(f"{table}: {rows} copied, {result.in_target[table]} in the target")
    if not result.verified:
        click.echo("verification FAILED: row counts differ", err=True)
        raise SystemExit(1)
    click.echo("verified: every table holds as many rows as the source")
