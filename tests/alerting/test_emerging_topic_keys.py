"""emerging_topic keeps one group key for one burst across ticks, on a simulated clock."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from alerting.detect.backtest import backtest
from alerting.detect.rules.emerging_topic import EmergingTopicConfig
from alerting.detect.tick import run_detection
from models.state import Incident
from tests.alerting.conftest import NOW
from tests.alerting.series import burst, seasonal_series

T1 = NOW + timedelta(minutes=30)
T2 = T1 + timedelta(minutes=10)
RULE = EmergingTopicConfig(name="emerging", type="emerging_topic", fields=["term"])


def overheating_then_burning(store) -> None:
    """Calm complaints for a week; a burst about an overheating screen before ``T1``; then
    more of it before ``T2`` in other words, so that the burst's most used term changes."""
    seasonal_series(store, NOW - timedelta(days=7), T2, lambda at: 12)
    burst(store, 8, T1, timedelta(minutes=40), tokens=("屏幕", "发热", "烫手"))
    burst(store, 12, T2, timedelta(minutes=10), tokens=("屏幕", "烫手"))


def test_one_burst_whose_leading_term_changes_keeps_its_key_and_incident(configure):
    runtime = configure(rules=[RULE], channels=[])
    overheating_then_burning(runtime.store)

    first = run_detection(runtime, T1)
    second = run_detection(runtime, T2)

    assert [f.group_key for f in first.firings] == ["term:发热"]
    # the most used term is now 屏幕/烫手, but the burst is the one already alerted on
    assert [f.group_key for f in second.firings] == ["term:发热"]
    assert [c.action for c in second.changes] == ["fired"]
    # what it says is what is seen now: 屏幕 leads, with 发热 and 烫手 beside it
    assert sorted(second.firings[0].explanation["related_terms"]) == ["发热", "烫手"]
    with runtime.state.session() as session:
        assert [(i.group_key, i.metric) for i in session.scalars(select(Incident))] == \
            [("term:发热", 20)]


def test_the_backtest_opens_one_incident_for_the_burst(configure):
    runtime = configure(rules=[RULE], channels=[])
    overheating_then_burning(runtime.store)
    result = backtest(runtime, T1, T2 + timedelta(minutes=1), interval=timedelta(minutes=10))
    assert [(i["group"], i["firings"]) for i in result.incidents] == \
        [("term:发热", [T1.isoformat(), T2.isoformat()])]


def test_a_new_problem_after_the_burst_gets_its_own_key(configure):
    """Only a burst sharing terms with the open incident inherits its key."""
    runtime = configure(rules=[RULE], channels=[])
    seasonal_series(runtime.store, NOW - timedelta(days=7), T2, lambda at: 12)
    burst(runtime.store, 8, T1, timedelta(minutes=40), tokens=("屏幕", "发热", "烫手"))
    burst(runtime.store, 12, T2, timedelta(minutes=10), tokens=("快递", "丢件"))
    run_detection(runtime, T1)
    second = run_detection(runtime, T2)
    assert sorted(f.group_key for f in second.firings) == sorted(["term:发热", "term:丢件"])
