"""Response figures per rule: how fast people acknowledge and resolve, and how many alerts
were false alarms — with tuning advice for rules that cry wolf.

Computed from incidents opened in a period (``Incident`` rows with their events): time to
acknowledge is ``acknowledged_at − opened_at`` (resolving also counts as the first response),
time to resolve ``resolved_at − opened_at`` for incidents a person resolved (auto-resolved
ones measure the rule's quiet period, not a response, and are counted apart); a false alarm is
an incident whose latest resolution event is ``false_alarm``. Precision is the share of
person-closed incidents that were not false alarms.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from statistics import median
from typing import Callable, Iterable

from models.state import Incident

ADVICE_MIN_CLOSED = 3        # below this, a share of false alarms says little
ADVICE_FALSE_SHARE = 0.3


@dataclass
class RuleFigures:
    rule: str
    incidents: int = 0
    acknowledged: int = 0
    resolved_by_people: int = 0
    auto_resolved: int = 0
    false_alarms: int = 0
    median_ack_seconds: float | None = None
    median_resolve_seconds: float | None = None
    false_alarm_share: float | None = None
    precision: float | None = None
    advice: str | None = None
    _ack: list[float] = field(default_factory=list, repr=False)
    _resolve: list[float] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}


def _resolution(incident: Incident) -> str | None:
    for event in reversed(incident.events):
        if event.kind in ("resolved", "false_alarm", "auto_resolved"):
            return event.kind
        if event.kind == "reopened":
            return None
    return None


def rule_figures(incidents: Iterable[Incident],
                 group: Callable[[Incident], str | None] = lambda i: i.rule) -> list[RuleFigures]:
    """One ``RuleFigures`` per rule (or per ``group(incident)``, e.g. the rule's team; None
    leaves the incident out), busiest first. ``incidents`` need their events loaded."""
    by_rule: dict[str, RuleFigures] = {}
    for incident in incidents:
        name = group(incident)
        if name is None:
            continue
        figures = by_rule.setdefault(name, RuleFigures(name))
        figures.incidents += 1
        if incident.acknowledged_at is not None:
            figures.acknowledged += 1
            figures._ack.append((incident.acknowledged_at - incident.opened_at).total_seconds())
        resolution = _resolution(incident)
        if resolution == "auto_resolved":
            figures.auto_resolved += 1
        elif resolution in ("resolved", "false_alarm") and incident.resolved_at is not None:
            figures.resolved_by_people += 1
            figures._resolve.append((incident.resolved_at - incident.opened_at).total_seconds())
            figures.false_alarms += resolution == "false_alarm"
    for figures in by_rule.values():
        figures.median_ack_seconds = median(figures._ack) if figures._ack else None
        figures.median_resolve_seconds = median(figures._resolve) if figures._resolve else None
        if figures.resolved_by_people:
            figures.false_alarm_share = figures.false_alarms / figures.resolved_by_people
            figures.precision = 1 - figures.false_alarm_share
        if (figures.resolved_by_people >= ADVICE_MIN_CLOSED
                and figures.false_alarm_share >= ADVICE_FALSE_SHARE):
            figures.advice = (f"{figures.rule} 的误报占 {figures.false_alarm_share:.0%}"
                              "：可提高 min_count 或 min_ratio、降低 p_value，或缩小 entities/"
                              "sources 范围后用回测验证。")
    return sorted(by_rule.values(), key=lambda f: (-f.incidents, f.rule))
