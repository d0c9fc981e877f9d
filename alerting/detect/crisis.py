"""The store hook of ``crisis_keyword``: reviews just written are checked at once, so a crisis
review opens its incident as soon as it is stored, not at the next detection tick.

The crawl store pipeline and the file importer call ``on_stored(runtime, reviews)`` after each
successful upsert. It never raises: a failure here is logged and counted, the reviews stay
stored, and the next detection tick's ``crisis_keyword`` evaluation catches up.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Sequence

from models.review import Review, utcnow

if TYPE_CHECKING:  # a runtime import would load the channels the lazy imports below defer
    from alerting.respond.incidents import IncidentChange

log = logging.getLogger(__name__)


def on_stored(runtime, reviews: Sequence[Review], now: datetime | None = None
              ) -> list[IncidentChange]:
    """Open (or attach to) incidents for ``reviews`` matching an enabled ``crisis_keyword``
    rule of ``runtime``'s config; returns the incident changes ([] when nothing matched)."""
    rules = [r for r in runtime.config.rules if r.enabled and r.type == "crisis_keyword"]
    if not rules or not reviews:
        return []
    try:
        return _handle(runtime, rules, reviews, now or utcnow())
    except Exception:  # the reviews are stored; the next tick re-checks them
        log.exception("crisis check of %d stored review(s) failed", len(reviews))
        return []


def _handle(runtime, rules: list, reviews: Sequence[Review], now: datetime
            ) -> list[IncidentChange]:
    # Imported here: the crawl pipeline loads this module, most crawls never need channels.
    from alerting.detect.rules import build_rule
    from alerting.detect.tick import entity_names, incident_manager, rule_context
    from alerting.respond.channels import build_channels

    context, names = rule_context(runtime), entity_names(runtime.config)
    firings = [f for config in rules
               for f in build_rule(config, names, context).match(reviews, now)]
    if not firings:
        return []
    channels = build_channels(runtime.config.channels)
    try:
        manager = incident_manager(runtime, channels, lambda: now)
        changes = manager.handle(firings, runtime.config.rules)
    finally:
        for channel in channels.values():
            channel.close()
    log.info("crisis check: %d incident change(s) from %d stored review(s)", len(changes),
             len(reviews))
    return changes
