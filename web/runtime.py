"""The composition root's runtime: every runtime of the system is opened here, so every
process (web app, scheduler, crawl child, command line) gets the same wiring.

``PLUGINS`` are the system's source, rule and channel types: the registries of
``crawlers.spiders``, ``alerting.detect.rules`` and ``alerting.respond.channels``. The config
is validated against them (plus any type the file names by dotted path).

The stages below never import each other sideways; what one stage's event means to another
is attached here. Today that is one hook: reviews just stored (by a crawl or an import) are
handed to ``alerting.detect.crisis.on_stored``, so a crisis review opens its incident at once.
"""
from __future__ import annotations

from pathlib import Path

from alerting.detect import crisis
from alerting.detect.rules import RULE_TYPES
from alerting.respond.channels import CHANNEL_TYPES
from crawlers.spiders import SOURCE_TYPES
from models import runtime as models_runtime
from models.plugins import Plugins
from models.runtime import Runtime

__all__ = ["PLUGINS", "Runtime", "open_runtime", "wire"]

PLUGINS = Plugins(sources=SOURCE_TYPES, rules=RULE_TYPES, channels=CHANNEL_TYPES)


def wire(runtime: Runtime) -> Runtime:
    """Attach the cross-stage hooks to ``runtime``; returns it."""
    runtime.stored_hooks.append(crisis.on_stored)
    return runtime


def open_runtime(config_path: str | Path | None = None,
                 home: str | Path | None = None) -> Runtime:
    """Load the config (raising ``ConfigError``) and return a wired ``Runtime``."""
    return wire(models_runtime.open_runtime(config_path, home, PLUGINS))
