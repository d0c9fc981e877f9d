"""``koubei users add/list/disable/enable/password/token``: accounts from the command line.

Passwords are read from a hidden prompt (or ``--password-stdin`` for scripts), never from the
command line, where other local users could see them in the process list.
"""
from __future__ import annotations

import sys

import click

from web.cli.options import with_runtime
from web.security.roles import ROLES


def _accounts():
    from web.security import accounts  # loaded when a command runs, not for `koubei --help`
    return accounts


def cli_actor() -> str:
    from models.audit import cli_actor as actor  # as accounts: when a command runs
    return actor()


def _attempt(call, *args):
    """``call(*args)``; an ``AccountError`` is printed and exits with status 1."""
    try:
        return call(*args)
    except _accounts().AccountError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


@click.group("users")
def users_group() -> None:
    """Manage user accounts."""


@users_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="analyst", show_default=True)
@click.option("--entity", "entities", multiple=True,
              help="Brand/entity id the user may see (repeat; default: every entity).")
@click.option("--name", "display_name", help="Display name, e.g. 张三.")
@click.option("--email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_runtime
def add(runtime, username, role, entities, display_name, email, password_stdin) -> None:
    known = {e.id for e in runtime.config.entities}
    unknown = sorted(set(entities) - known - {"*"})
    if unknown:
        click.echo(f"error: unknown entity {', '.join(map(repr, unknown))}; configured: "
                   f"{', '.join(sorted(known))}", err=True)
        raise SystemExit(1)
    user = _attempt(_accounts().add_user, runtime.state, username, role, list(entities) or ["*"],
                    _password(password_stdin), display_name, email, cli_actor())
    click.echo(f"user added: {user.username} ({user.role}; {', '.join(user.entities)})")


@users_group.command("list")
@with_runtime
def list_command(runtime) -> None:
    """One line per user: name, role, scope, status."""
    for user in _accounts().list_users(runtime.state):
        status = "disabled" if user.disabled else ("active" if user.password_hash
                                                   else "no password")
        click.echo(f"{user.username}\t{user.role}\t{','.join(user.entities or [])}\t{status}")


@users_group.command("disable")
@click.argument("username")
@with_runtime
def disable(runtime, username) -> None:
    """Stop a user's sign-ins, sessions and API tokens."""
    _attempt(_accounts().set_disabled, runtime.state, username, True, cli_actor())
    click.echo(f"user disabled: {username}")


@users_group.command("enable")
@click.argument("username")
@with_runtime
def enable(runtime, username) -> None:
    _attempt(_accounts().set_disabled, runtime.state, username, False, cli_actor())
    click.echo(f"user enabled: {username}")


@users_group.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True)
@with_runtime
def password(runtime, username, password_stdin) -> None:
    """Set a user's password (for a forgotten one; signs them out everywhere)."""
    _attempt(_accounts().set_password, runtime.state, username, _password(password_stdin),
             cli_actor())
    click.echo(f"password set: {username}")


@users_group.command("token")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@with_runtime
def token(runtime, username, name) -> None:
    """Create a personal API token and print it (the only time it is shown)."""
    click.echo(_attempt(_accounts().issue_token, runtime.state, username, name))
