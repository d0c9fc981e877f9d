"""The ``koubei`` command: every job of the system, one entry point.

The commands live in ``web.cli.commands``, one module per topic; ``main`` finds them as
Scrapy finds its ``commands/`` modules: every click command defined at module level in a
module of that package is added, so nothing lists them a second time.
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
from typing import Iterator

import click

from models.redact import install_log_redaction
from web import logs
from web.cli import commands as command_package


@click.group()
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """口碑 Koubei — review and word-of-mouth sentiment monitoring."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logs.setup(level)
    install_log_redaction()


def discover_commands() -> Iterator[click.Command]:
    """Every top-level click command defined in a module of ``web.cli.commands``, by module
    name and then in definition order (sub-commands of a group come with their group)."""
    for info in sorted(pkgutil.iter_modules(command_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{command_package.__name__}.{info.name}")
        defined = [value for value in vars(module).values()
                   if isinstance(value, click.Command) and value.callback is not None
                   and value.callback.__module__ == module.__name__]
        children = {id(child) for group in defined if isinstance(group, click.Group)
                    for child in group.commands.values()}
        yield from (command for command in defined if id(command) not in children)


for _command in discover_commands():
    main.add_command(_command)
