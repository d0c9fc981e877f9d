"""An incident's life on a simulated clock: it stays open while the level stays high,
auto-resolves once the metric has been back at baseline for ``resolve_after`` (and records
it), and reopens when the burst returns within ``reopen_within``."""
from __future__ import annotations

from datetime import timedelta

from alerting.detect.tick import run_detection
from tests.alerting.conftest import NOW, spike_rule
from tests.alerting.series import burst, seasonal_series
from tests.alerting.test_incidents import incidents, kinds

MIN = timedelta(minutes=1)


def test_open_while_elevated_resolve_at_baseline_then_reopen(configure):
    rt = configure(rules=[spike_rule(window="30m", baseline="7d", min_count=5,
                                     resolve_after="20m", reopen_within="2h")])
    store = rt.store
    seasonal_series(store, NOW - timedelta(days=7), NOW + timedelta(hours=4), lambda at: 12)
    burst(store, 15, NOW, timedelta(minutes=15))                # 11:45-12:00

    opened = run_detection(rt, now=NOW)
    assert [c.action for c in opened.changes] == ["opened"]
    # 12:40: the burst has left the window's opening threshold but the count is still high
    # (a slow tail of complaints): elevated keeps the incident alive past resolve_after.
    burst(store, 6, NOW + 40 * MIN, timedelta(minutes=30))
    tail = run_detection(rt, now=NOW + 40 * MIN)
    assert [c.action for c in tail.changes] == ["elevated"]
    [incident] = incidents(rt)
    assert incident.status == "open" and incident.last_fired_at == NOW + 40 * MIN

    # Without the elevated report, 40 quiet minutes would have resolved it at 12:40. At 13:02
    # the window holds 3 negatives against 1.5 expected: back at baseline since 12:40, for
    # more than 20 minutes, so it resolves.
    resolved = run_detection(rt, now=NOW + 62 * MIN)
    assert [c.action for c in resolved.changes] == ["auto_resolved"]
    [incident] = incidents(rt)
    assert incident.status == "resolved" and incident.resolved_at == NOW + 62 * MIN
    event = incident.events[-1]
    assert event.kind == "auto_resolved"
    assert event.detail["at_baseline_since"] == (NOW + 40 * MIN).isoformat()
    assert event.detail["resolve_after_seconds"] == 1200

    # The same complaints flare up again within two hours: the incident reopens.
    burst(store, 15, NOW + 150 * MIN, timedelta(minutes=15))
    again = run_detection(rt, now=NOW + 150 * MIN)
    assert [c.action for c in again.changes] == ["reopened"]
    [incident] = incidents(rt)
    assert incident.status == "open" and incident.resolved_at is None
    assert kinds(incident) == ["opened", "auto_resolved", "reopened"]


def test_elevated_alone_never_opens_an_incident(configure):
    rt = configure(rules=[spike_rule(window="30m", baseline="7d", min_count=50)])
    seasonal_series(rt.store, NOW - timedelta(days=7), NOW, lambda at: 12)
    burst(rt.store, 10, NOW, timedelta(minutes=15))
    report = run_detection(rt, now=NOW)
    assert [f.opens for f in report.firings] == [False]
    assert report.changes == [] and incidents(rt) == []
