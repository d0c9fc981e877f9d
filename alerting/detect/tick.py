"""One detection tick: evaluate the enabled rules, turn firings into incidents, notify,
auto-resolve what has gone quiet.

A rule that raises is logged and counted and the others still run; incidents of a rule that
failed this tick are not auto-resolved, since its silence means nothing.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Mapping

from alerting.detect.calendar import Calendar
from alerting.detect.rules import Firing, RuleContext, build_rule
from alerting.respond.channels import Channel, build_channels
from alerting.respond.escalation import follow_up
from alerting.respond.incidents import IncidentChange, IncidentManager
from models.config import KoubeiConfig
from models.instance_key import instance_key
from models.review import utc, utcnow
from models.runtime import Runtime
from models.store import ReviewStore
from models.store.grouped import GroupedReads

log = logging.getLogger(__name__)


@dataclass
class DetectionReport:
    at: datetime
    rules: list[str] = field(default_factory=list)        # rules evaluated, in config order
    firings: list[Firing] = field(default_factory=list)
    changes: list[IncidentChange] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # rule name -> what went wrong
    stats: Counter = field(default_factory=Counter)
    dry_run: bool = False                                 # rules only: nothing opened or sent

    @property
    def ok(self) -> bool:
        return not self.errors


def entity_names(config: KoubeiConfig) -> dict[str, str]:
    return {entity.id: entity.name for entity in config.entities}


def incident_manager(runtime: Runtime, channels: Mapping[str, Channel],
                     clock: Callable[[], datetime]) -> IncidentManager:
    """The incident manager of ``runtime``: its links, timezone, signing key and teams. Every
    path that opens incidents (detection ticks, crisis reviews at store time) uses this one."""
    config = runtime.config
    return IncidentManager(runtime.state, channels, clock=clock, public_url=config.web.base_url,
                           timezone=config.timezone, action_key=instance_key(runtime.home),
                           teams=config.teams,
                           entity_parents={e.id: e.parent for e in config.entities})


def rule_context(runtime: Runtime) -> RuleContext:
    """Declared events, timezone, crawl records and incidents, as every rule of ``runtime``
    sees them."""
    return RuleContext(Calendar(runtime.config.events), runtime.config.timezone, runtime.state,
                       incidents=runtime.state,
                       parents={e.id: e.parent for e in runtime.config.entities if e.parent})


def run_detection(runtime: Runtime, now: datetime | None = None,
                  channels: Mapping[str, Channel] | None = None,
                  dry_run: bool = False) -> DetectionReport:
    """Run every enabled rule once as of ``now`` (default: the current time). ``channels``
    defaults to those built from the config (and closed afterwards). A ``dry_run`` only
    evaluates the rules: the report lists the firings, and no incident is opened, changed
    or resolved and nothing is sent."""
    config = runtime.config
    report = DetectionReport(at=utc(now) if now else utcnow(), dry_run=dry_run)
    enabled = [rule for rule in config.rules if rule.enabled]
    log.info("detection at %s; rules enabled: %s", report.at.isoformat(),
             ", ".join(f"{r.name} ({r.type})" for r in enabled) or "none")
    names = entity_names(config)
    context = rule_context(runtime)
    if dry_run:
        evaluate_rules(runtime, enabled, names, context, report)
        report.stats.update({"detection/rules_run": len(report.rules),
                             "detection/rule_errors": len(report.errors),
                             "detection/firings": len(report.firings)})
        return report
    owned = channels is None
    channels = build_channels(config.channels) if owned else channels
    try:
        evaluate_rules(runtime, enabled, names, context, report)
        manager = incident_manager(runtime, channels, (lambda: report.at) if now else utcnow)
        report.changes = manager.handle(report.firings, config.rules)
        report.changes += manager.auto_resolve(report.at, {f.key for f in report.firings},
                                               config.rules, skip_rules=report.errors)
        report.changes += follow_up(manager, config.rules, report.at)
    finally:
        if owned:
            for channel in channels.values():
                channel.close()
    report.stats.update(manager.stats)
    report.stats.update({"detection/rules_run": len(report.rules),
                         "detection/rule_errors": len(report.errors),
                         "detection/firings": len(report.firings)})
    return report


def rule_reads(store: ReviewStore) -> ReviewStore:
    """What one rule's evaluation reads: on a store where a round trip costs
    (``batches_aggregations``: Elasticsearch) ``GroupedReads``, one read per question for all
    the rule's groups rather than one per group; else the store itself."""
    return GroupedReads(store) if store.batches_aggregations else store


def evaluate_rules(runtime: Runtime, rule_configs: list, names: dict[str, str],
                   context: RuleContext, report: DetectionReport) -> None:
    """Evaluate ``rule_configs`` as of ``report.at`` into ``report`` (firings, rules run,
    errors): a rule that raises is logged and the others still run."""
    for rule_config in rule_configs:
        try:
            firings = build_rule(rule_config, names, context).evaluate(
                rule_reads(runtime.store), report.at)
        except Exception as exc:  # one broken rule must not silence the others
            log.exception("rule %s failed", rule_config.name)
            report.errors[rule_config.name] = f"{type(exc).__name__}: {exc}"
            continue
        report.rules.append(rule_config.name)
        report.firings.extend(firings)
