"""Firings → incidents: one burst makes one incident, notified once, re-alerted sparingly.

- A firing for (rule, group) with an open or acknowledged incident attaches to it: the
  incident's ``last_fired_at`` moves on, ``metric`` (with its baseline and explanation) is
  kept at the highest seen, review ids are merged. It is no timeline entry of its own: the
  opening entry (``opened`` or the latest ``reopened``) counts firings per hour in its
  detail's ``activity`` (``{hour in UTC: firings}``) and keeps ``peak_at``, so a burst that
  fires for two hours reads as one entry with its peak and a count over time.
- Otherwise a new incident is opened (``opened`` event) and the rule's channels are notified.
- An incident is notified again only after the rule's ``realert`` interval; one whose every
  notification failed is retried on its next firing.
- ``auto_resolve`` resolves an open incident whose rule has been quiet for ``resolve_after``.
  A rule keeps reporting a group whose metric is still above baseline (a firing with
  ``opens=False``): that moves ``last_fired_at`` on without opening anything, so an incident
  resolves only once its metric has stayed back at baseline for ``resolve_after``.
- A firing within the rule's ``reopen_within`` of its (rule, group)'s last auto-resolve
  reopens that incident (``reopened`` event) instead of opening a new one.
- With the rule's ``join_within`` set, a firing for a new group (say a weibo source while
  app-store reviews already have an incident) joins an active incident that fired within
  that time and shares at least ``JOIN_TERMS`` of its over-represented terms (``joined``
  event naming the rule, group and shared terms); later firings of that group attach to it.

Every notification attempt becomes an event (``notified`` or ``notify_failed`` with the
error); each is sent under an idempotency key, so that two processes handling the same incident
never both send it (``alerting.respond.delivery``). Channels are called outside the database
transaction, one after the other; a failing channel never stops the others, and the incident
is committed before any channel is called.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import select

from alerting.detect.rules import Firing
from alerting.respond.channel_health import check_channels
from alerting.respond.channels import Channel
from alerting.respond.delivery import deliver
from alerting.respond.notice import Notice
from alerting.respond.routing import (
    channels_for,
    on_call,
    queue_for_quiet_hours,
    quiet_until,
    team_for,
)
from alerting.respond.silences import hold_back
from alerting.respond.workflow import send_all_clear
from models.config import RuleBase
from models.review import utcnow
from models.state import Incident, IncidentEvent, StateDB

ACTIVE = ("open", "acknowledged")
JOIN_TERMS = 2
DEFAULT_RESOLVE_AFTER = RuleBase.model_fields["resolve_after"].default


@dataclass
class IncidentChange:
    """What one firing (or the resolver) did to one incident."""
    incident_id: int
    rule: str
    group_key: str
    action: str  # opened | reopened | joined | fired | elevated | auto_resolved
    title: str
    notified: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    # a notice due but not sent: "silenced", or "queued until <ISO time>" (quiet hours)
    held: str = ""


class IncidentManager:
    def __init__(self, state: StateDB, channels: Mapping[str, Channel],
                 clock: Callable[[], datetime] = utcnow,
                 public_url: str = "http://127.0.0.1:8080", timezone: str = "Asia/Shanghai",
                 action_key: str | None = None, teams: Iterable[Any] = (),
                 entity_parents: Mapping[str, str | None] | None = None):
        """``action_key`` (the instance key) signs the action links notices carry; ``teams``
        (``TeamConfig``) route rules to people (see ``alerting.respond.routing``);
        ``entity_parents`` (entity id → parent brand) tells which incidents an entity's
        silence covers."""
        self.state = state
        self.channels = channels
        self.clock = clock
        self.public_url = public_url
        self.timezone = timezone
        self.action_key = action_key
        self.teams = list(teams)
        self.entity_parents = dict(entity_parents or {})
        self.stats: Counter[str] = Counter()
        # rules whose new peaks keep a deferred explanation aside (``peaks_later``)
        self.later_rules: frozenset[str] = frozenset()
        self._later: dict[int, Firing] = {}

    def peaks_later(self, rules: Iterable[str]) -> None:
        """A replay's manager: a new peak of an incident of ``rules`` whose firing carries
        a deferred explanation (``alerting.detect.explanation.deferred``) keeps that firing
        aside instead of computing its explanation, since a later peak would replace it;
        ``settle_peaks`` computes the last of each. Only for rules whose incidents'
        explanations nothing reads while the replay runs (the caller knows which)."""
        self.later_rules = frozenset(rules)

    def settle_peaks(self) -> int:
        """Store the explanation of each peak kept aside by ``peaks_later``; how many."""
        later, self._later = self._later, {}
        with self.state.session() as session:
            for incident_id, firing in later.items():
                session.get(Incident, incident_id).explanation = firing.explained()
        return len(later)

    def handle(self, firings: Iterable[Firing], rule_configs: Any) -> list[IncidentChange]:
        """Record ``firings`` (see the module docstring); ``rule_configs`` is a list of rule
        configs or a ``{name: config}`` mapping. Returns one change per firing that touched an
        incident (an elevated-only firing without an incident touches none)."""
        configs = by_name(rule_configs)
        changes = []
        for firing in firings:
            config = configs.get(firing.rule)
            action = ""
            with self.state.session() as session:
                incident = session.scalars(
                    select(Incident).where(Incident.rule == firing.rule,
                                           Incident.group_key == firing.group_key,
                                           Incident.status.in_(ACTIVE))
                    .order_by(Incident.id.desc()).limit(1)).first()
                if incident is None and not firing.opens:
                    continue  # elevated, not alarming: keeps an incident alive, opens none
                if incident is None:
                    incident = _reopenable(session, firing, config)
                    if incident is not None:
                        _reopen(session, incident, firing, self._later)
                        action = "reopened"
                if incident is None and firing.opens:
                    incident = joined_incident(session, firing)  # attaches as usual below
                    if incident is None:
                        incident = related_incident(session, firing, config)
                        if incident is not None:
                            _join(session, incident, firing, self._later)
                            action = "joined"
                if incident is None:
                    incident, action = _open(session, firing), "opened"
                elif action not in ("reopened", "joined"):
                    _attach(session, incident, firing, later=self._later,
                            defer=firing.rule in self.later_rules)
                    action = "fired" if firing.opens else "elevated"
                session.flush()
                team = team_for(config, self.teams)
                names = channels_for(config.channels if config else [], team)
                if action == "opened" and team is not None and team.members:
                    session.add(IncidentEvent(incident=incident, at=firing.at, kind="assigned",
                                              detail={"assignee": on_call(team, firing.at,
                                                                          self.timezone),
                                                      "on_call": team.name}))
                kind = (self._notice_kind(incident, firing.at, config, names) if firing.opens
                        else None)  # an elevated-only firing keeps quiet
                # a realert is a new notice for each earlier notice it follows
                occasion = (incident.last_notified_at.isoformat()
                            if kind == "realert" and incident.last_notified_at else "")
                notice = (Notice.for_incident(incident, self.public_url, kind, self.timezone,
                                              action_key=self.action_key)
                          if kind else None)
            self.stats[f"alerting/incidents_{action}"] += 1
            change = IncidentChange(incident.id, incident.rule, incident.group_key, action,
                                    incident.title)
            if notice is not None:
                self._notify(incident.id, notice, names, change, team, incident.severity,
                             occasion)
            changes.append(change)
        return changes

    def auto_resolve(self, now: datetime, active_keys: Iterable[tuple[str, str]],
                     rule_configs: Any = (), skip_rules: Iterable[str] = ()
                     ) -> list[IncidentChange]:
        """Resolve open incidents, other than those in ``active_keys`` (``(rule, group)``
        that fired this tick) and those of ``skip_rules`` (rules that could not be evaluated,
        so their quiet is unknown), quiet for their rule's ``resolve_after`` (30 minutes for
        a rule no longer configured)."""
        configs, active, skip = by_name(rule_configs), set(active_keys), set(skip_rules)
        changes = []
        with self.state.session() as session:
            for incident in session.scalars(select(Incident).where(Incident.status == "open")):
                config = configs.get(incident.rule)
                after = config.resolve_after if config else DEFAULT_RESOLVE_AFTER
                quiet = now - incident.last_fired_at
                if ((incident.rule, incident.group_key) in active or incident.rule in skip
                        or quiet < after):
                    continue
                incident.status, incident.resolved_at = "resolved", now
                session.add(IncidentEvent(incident=incident, at=now, kind="auto_resolved",
                                          detail={"quiet_seconds": int(quiet.total_seconds()),
                                                  "at_baseline_since":
                                                      incident.last_fired_at.isoformat(),
                                                  "resolve_after_seconds":
                                                      int(after.total_seconds())}))
                changes.append(IncidentChange(incident.id, incident.rule, incident.group_key,
                                              "auto_resolved", incident.title))
        self.stats["alerting/incidents_auto_resolved"] += len(changes)
        for change in changes:  # after the commit: channels never run inside a transaction
            change.notified = send_all_clear(self.state, change.incident_id, self.channels,
                                             self.public_url, self.timezone, "auto_resolved",
                                             at=self.clock())
        return changes

    def _notice_kind(self, incident: Incident, at: datetime, config: Any,
                     names: list[str]) -> str | None:
        if config is None or not names:
            return None
        if incident.last_notified_at is None:
            return "opened"
        return "realert" if at - incident.last_notified_at >= config.realert else None

    def _notify(self, incident_id: int, notice: Notice, names: list[str],
                change: IncidentChange, team: Any = None, severity: str = "warning",
                occasion: str = "") -> None:
        """Send ``notice`` unless silenced or held for quiet hours, each channel under its
        idempotency key (``alerting.respond.delivery``), and record the outcomes."""
        if hold_back(self.state, incident_id, self.clock(), self.entity_parents) is not None:
            self.stats["alerting/silenced"] += 1
            change.held = "silenced"
            return
        if notice.kind != "escalated" and queue_for_quiet_hours(
                self.state, incident_id, team, severity, self.clock(), self.timezone):
            self.stats["alerting/queued"] += 1
            change.held = ("queued until "
                           + quiet_until(team, self.clock(), self.timezone).isoformat())
            return
        deliveries = deliver(notice, names, self.channels, ledger=self.state,
                             occasion=occasion)
        if not deliveries:
            return
        now = self.clock()
        with self.state.session() as session:
            incident = session.get(Incident, incident_id)
            for delivery in deliveries:
                kind, detail = delivery.event(notice.kind)
                session.add(IncidentEvent(incident=incident, at=now, kind=kind, detail=detail))
                if delivery.ok:
                    change.notified.append(delivery.channel)
                else:
                    change.failed[delivery.channel] = delivery.error
            if change.notified:
                incident.last_notified_at = now
        self.stats["alerting/channel_incidents"] += len(
            check_channels(self.state, deliveries, now))
        self.stats["alerting/notified"] += len(change.notified)
        self.stats["alerting/notify_failed"] += len(change.failed)


def by_name(rule_configs: Any) -> dict[str, Any]:
    if isinstance(rule_configs, Mapping):
        return dict(rule_configs)
    return {config.name: config for config in rule_configs}


def _firing_detail(firing: Firing) -> dict[str, Any]:
    return {"metric": firing.metric, "baseline": firing.baseline, "p_value": firing.p_value,
            "window_start": firing.window_start.isoformat(),
            "window_end": firing.window_end.isoformat(),
            "summary": firing.explained().get("summary", "")}


def _open(session: Any, firing: Firing) -> Incident:
    incident = Incident(rule=firing.rule, group_key=firing.group_key, status="open",
                        title=firing.title, entities=list(firing.entities),
                        opened_at=firing.at, last_fired_at=firing.at, metric=firing.metric,
                        baseline=firing.baseline, explanation=firing.explained(),
                        review_ids=list(firing.review_ids), severity=firing.severity)
    session.add(incident)
    session.add(IncidentEvent(incident=incident, at=firing.at, kind="opened",
                              detail={**_firing_detail(firing),
                                      "activity": {_hour(firing.at): 1}}))
    return incident


def _reopenable(session: Any, firing: Firing, config: Any) -> Incident | None:
    """The (rule, group)'s latest incident when it was auto-resolved within the rule's
    ``reopen_within`` of this firing."""
    within = getattr(config, "reopen_within", None)
    if not within:
        return None
    latest = session.scalars(
        select(Incident).where(Incident.rule == firing.rule,
                               Incident.group_key == firing.group_key)
        .order_by(Incident.id.desc()).limit(1)).first()
    if (latest is None or latest.status != "resolved" or latest.resolved_at is None
            or firing.at - latest.resolved_at > within):
        return None
    resolved_by = session.scalars(
        select(IncidentEvent).where(IncidentEvent.incident_id == latest.id)
        .order_by(IncidentEvent.id.desc()).limit(1)).first()
    return latest if resolved_by is not None and resolved_by.kind == "auto_resolved" else None


def joined_incident(session: Any, firing: Firing) -> Incident | None:
    """The active incident the firing's (rule, group) joined earlier, if any."""
    joined = session.scalars(
        select(IncidentEvent).join(Incident).where(Incident.status.in_(ACTIVE),
                                                   IncidentEvent.kind == "joined")
        .order_by(IncidentEvent.id.desc())).all()
    return next((e.incident for e in joined if e.detail.get("rule") == firing.rule
                 and e.detail.get("group") == firing.group_key), None)


def related_incident(session: Any, firing: Firing, config: Any) -> Incident | None:
    """An active incident of another (rule, group) that fired within ``join_within`` and
    shares at least ``JOIN_TERMS`` over-represented terms with the firing."""
    within = getattr(config, "join_within", None)
    if not within:
        return None
    terms = _terms(firing.explained())
    candidates = session.scalars(select(Incident).where(Incident.status.in_(ACTIVE))
                                 .order_by(Incident.id.desc())).all()
    for incident in candidates:
        if (abs(firing.at - incident.last_fired_at) <= within
                and len(terms & _terms(incident.explanation)) >= JOIN_TERMS):
            return incident
    return None


def _terms(explanation: dict) -> set[str]:
    return {t["term"] for t in explanation.get("terms", []) if isinstance(t, dict)}


def _join(session: Any, incident: Incident, firing: Firing,
          later: dict[int, Firing] | None = None) -> None:
    shared = sorted(_terms(firing.explained()) & _terms(incident.explanation))
    session.add(IncidentEvent(incident=incident, at=firing.at, kind="joined",
                              detail={**_firing_detail(firing), "rule": firing.rule,
                                      "group": firing.group_key, "shared_terms": shared}))
    _attach(session, incident, firing, event=False, later=later)


def _reopen(session: Any, incident: Incident, firing: Firing,
            later: dict[int, Firing] | None = None) -> None:
    session.add(IncidentEvent(incident=incident, at=firing.at, kind="reopened",
                              detail={**_firing_detail(firing),
                                      "resolved_at": incident.resolved_at.isoformat(),
                                      "activity": {_hour(firing.at): 1}}))
    incident.status, incident.resolved_at = "open", None
    _attach(session, incident, firing, event=False, later=later)


def _attach(session: Any, incident: Incident, firing: Firing, event: bool = True,
            later: dict[int, Firing] | None = None, defer: bool = False) -> None:
    """``later``: the peaks kept aside by ``IncidentManager.peaks_later``, where a new
    peak's deferred explanation goes when ``defer`` (and from which a peak explained now
    takes the incident out)."""
    incident.last_fired_at = max(incident.last_fired_at, firing.at)
    if not firing.opens:  # still elevated: the incident lives on, its peak stays
        return
    if firing.severity == "critical":  # a critical firing makes its incident critical
        incident.severity = "critical"
    if firing.metric > incident.metric:
        incident.metric, incident.baseline = firing.metric, firing.baseline
        if defer and later is not None and firing.deferred is not None:
            later[incident.id] = firing
        else:
            incident.explanation = firing.explained()
            if later:
                later.pop(incident.id, None)
    known = set(incident.review_ids)
    incident.review_ids = list(incident.review_ids) + [
        rid for rid in firing.review_ids if rid not in known]
    incident.entities = sorted(set(incident.entities) | set(firing.entities))
    if event:
        _count_firing(session, incident, firing)


def _count_firing(session: Any, incident: Incident, firing: Firing) -> None:
    """Count ``firing`` in the ``activity`` of the incident's opening entry (see the module);
    a new peak moves ``peak_at``."""
    opening = session.scalars(
        select(IncidentEvent).where(IncidentEvent.incident_id == incident.id,
                                    IncidentEvent.kind.in_(("opened", "reopened")))
        .order_by(IncidentEvent.id.desc()).limit(1)).first()
    if opening is None:
        return
    detail = dict(opening.detail or {})
    activity = dict(detail.get("activity") or {})
    hour = _hour(firing.at)
    activity[hour] = activity.get(hour, 0) + 1
    detail["activity"] = activity
    if firing.metric >= incident.metric and firing.metric > detail.get("metric", 0):
        detail["peak_at"] = firing.at.isoformat()
    opening.detail = detail  # a new dict: the JSON column sees the change


def _hour(at: datetime) -> str:
    return at.replace(minute=0, second=0, microsecond=0).isoformat()
