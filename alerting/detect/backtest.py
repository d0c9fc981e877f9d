"""Backtesting: replay stored reviews through the rules on a simulated clock and report the
incidents they would have opened.

The replay ticks from ``start`` to ``end`` every ``interval`` (the config's detection interval
by default). At each tick every selected rule is evaluated as of that tick (rules only read
reviews published before ``now``, so later reviews in the store cannot leak in), firings go
through a real ``IncidentManager`` on a scratch state database (no channels: nothing is sent),
and quiet incidents auto-resolve. The live state database is never touched, except that
``source_silent`` reads the crawl records, which describe the present.

The store is read once: the reviews the rules can look at (from the longest baseline and
window before ``start`` to ``end``) are copied into a ``models.store.snapshot.SnapshotStore``
and every tick reads that copy, so a replay costs one scan of its period plus the rules' own
arithmetic instead of a dozen store queries per rule and tick. The scratch state database
does not wait for the disk (nothing in it outlives the replay). Reading the copy, the replay
also works incrementally where a tick repeats the last one's work:

- baselines are slices of one list of hourly buckets per group, built once from the
  snapshot's hourly counts, with only the two partial edge hours counted at each tick; the
  rules of a tick that ask for the same group's baseline share it, and its seasonal fit
  (``alerting.detect.baselines``);
- explanations are deferred (``alerting.detect.explanation.deferred``): one is computed
  when its firing opens, reopens or joins an incident, and a new peak of an incident of a
  rule type that sets ``Rule.peaks_later`` keeps its firing aside until the replay is over,
  when the last peak's is computed (``IncidentManager.peaks_later``), unless a rule joins incidents
  by their terms (``join_within``), which reads them on the way;
- an elevated-only firing of a group without an active incident, which changes nothing,
  does not go through the incident manager.

``snapshot=False`` reads the store at every tick and explains every firing at once, as
replays did before: the reference the fast replay is tested against
(``tests/alerting/test_backtest_snapshot.py``).

Each incident becomes one JSON-ready dict: ``rule``, ``group``, ``opened_at``,
``first_review_at``, ``resolved_at`` (None when still open at ``end``), ``metric`` and
``baseline`` (at the peak), ``explanation``, ``title`` and ``firings`` (the ticks it fired
at).
"""
from __future__ import annotations

import json
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, Iterable

from sqlalchemy import event, select

from alerting.detect.explanation import deferred
from alerting.detect.rules import Firing, build_rule
from alerting.detect.tick import entity_names, rule_context
from alerting.respond.incidents import IncidentManager
from models.runtime import Runtime
from models.state import Incident, StateDB
from models.store.snapshot import SnapshotStore

FIRED = ("opened", "fired", "reopened", "joined")
LOOKBACK_MARGIN = timedelta(days=1)  # beyond the longest baseline and window a rule reads


@dataclass
class BacktestResult:
    start: datetime
    end: datetime
    interval: timedelta
    rules: list[str]
    ticks: int = 0
    incidents: list[dict[str, Any]] = field(default_factory=list)

    def write_jsonl(self, out: IO[str]) -> None:
        for incident in self.incidents:
            out.write(json.dumps(incident, ensure_ascii=False) + "\n")


def backtest(runtime: Runtime, start: datetime, end: datetime,
             rule_names: Iterable[str] = (), interval: timedelta | None = None,
             rule_configs: list | None = None, snapshot: bool = True) -> BacktestResult:
    """Replay ``[start, end)``; ``rule_names`` picks rules of the config (default: every
    enabled rule); ``rule_configs`` replaces the config's rules (the benchmark tunes them);
    ``snapshot=False`` reads the live store at every tick instead of one copy (the
    benchmark's baseline). Raises ``ValueError`` on an unknown rule name or an empty
    period."""
    if end <= start:
        raise ValueError(f"backtest period is empty: {start.isoformat()} .. {end.isoformat()}")
    configs = list(rule_configs if rule_configs is not None else runtime.config.rules)
    wanted = list(rule_names)
    unknown = set(wanted) - {c.name for c in configs}
    if unknown:
        raise ValueError(f"unknown rule(s): {', '.join(sorted(unknown))}; configured: "
                         f"{', '.join(c.name for c in configs) or 'none'}")
    configs = [c for c in configs if (c.name in wanted if wanted else c.enabled)]
    step = interval or runtime.config.detection_interval
    result = BacktestResult(start, end, step, [c.name for c in configs])
    silent = [c.model_copy(update={"channels": []}) for c in configs]  # nothing is sent
    first_review: dict[int, datetime | None] = {}
    fired: dict[int, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="koubei-backtest-") as scratch:
        state = StateDB(f"sqlite:///{Path(scratch) / 'backtest.db'}")
        event.listen(state.engine, "connect", _scratch_pragmas)
        state.create_all()
        try:
            # rules see the replay's incidents, not the live ones
            context = replace(rule_context(runtime), incidents=state)
            rules = [build_rule(c, entity_names(runtime.config), context) for c in configs]
            store = SnapshotStore(runtime.store, start - lookback(rules), end) if snapshot \
                else runtime.store
            now = start
            manager = IncidentManager(state, {}, clock=lambda: now)
            active: set[tuple[str, str]] = set()  # (rule, group) of the active incidents
            if snapshot and not any(c.join_within for c in configs):
                # no firing joins another incident by its terms: the explanation of a rule
                # that never reads its incidents' is read at the end only (``peaks_later``)
                manager.peaks_later(r.name for r in rules if r.peaks_later)
            while now < end:
                firings: list[Firing] = []
                with deferred() if snapshot else nullcontext():
                    for rule in rules:
                        firings += rule.evaluate(store, now)
                # an elevated-only firing of a (rule, group) without an active incident
                # changes nothing: the fast replay, which knows which are active, skips them
                handled = [f for f in firings if f.opens or f.key in active] if snapshot \
                    else firings
                for firing, change in _paired(handled, manager.handle(handled, silent)):
                    if change.action == "opened":
                        first_review[change.incident_id] = firing.first_review_at
                    if change.action in FIRED:
                        fired.setdefault(change.incident_id, []).append(now.isoformat())
                    if change.action in ("opened", "reopened"):
                        active.add((change.rule, change.group_key))
                for change in manager.auto_resolve(now, {f.key for f in firings}, silent):
                    active.discard((change.rule, change.group_key))
                result.ticks += 1
                now += step
            manager.settle_peaks()
            result.incidents = _incidents(state, first_review, fired)
        finally:
            state.close()
    return result


def lookback(rules: list) -> timedelta:
    """How far before the replay's start its rules read: the longest baseline plus the
    longest window of any of them, and a margin."""
    spans = [timedelta(0)]
    for rule in rules:
        c = rule.config
        windows = [w for w in (*rule.windows, getattr(c, "window", None),
                               getattr(c, "volume_window", None)) if w]
        spans.append((getattr(c, "baseline", None) or timedelta(0))
                     + max(windows, default=timedelta(0)))
    return max(spans) + LOOKBACK_MARGIN


def _scratch_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


def _paired(firings: list[Firing], changes: list) -> list[tuple[Firing, Any]]:
    # handle() skips elevated-only firings without an incident; match the rest by key.
    pending = list(firings)
    pairs = []
    for change in changes:
        for i, firing in enumerate(pending):
            if (firing.rule, firing.group_key) == (change.rule, change.group_key):
                pairs.append((pending.pop(i), change))
                break
    return pairs


def _incidents(state: StateDB, first_review: dict[int, datetime | None],
               fired: dict[int, list[str]]) -> list[dict[str, Any]]:
    out = []
    with state.session() as session:
        for incident in session.scalars(select(Incident).order_by(Incident.id)):
            first = first_review.get(incident.id)
            out.append({
                "rule": incident.rule, "group": incident.group_key,
                "opened_at": incident.opened_at.isoformat(),
                "first_review_at": first.isoformat() if first else None,
                "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at
                else None,
                "metric": incident.metric, "baseline": incident.baseline,
                "title": incident.title, "firings": fired.get(incident.id, []),
                "explanation": incident.explanation})
    return out
