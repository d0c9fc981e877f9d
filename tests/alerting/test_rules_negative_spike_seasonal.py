"""negative_spike against seasonality, volume growth and declared events."""
from __future__ import annotations

from datetime import datetime, timedelta

from alerting.detect.calendar import Calendar
from alerting.detect.rules import RuleContext, build_rule
from models.config import CalendarEvent
from tests.alerting.conftest import NOW, spike_rule
from tests.alerting.series import burst, evening_peak, seasonal_series

# NOW is 20:00 in Beijing on a Monday: the first hour of the evening peak.
AT = NOW + timedelta(minutes=30)


def evaluate(store, at=AT, context=None, **options):
    values = dict(window="30m", baseline="7d", min_count=5, p_value=0.001)
    values.update(options)
    return build_rule(spike_rule(**values), context=context).evaluate(store, at)


def test_quiet_at_the_daily_peak_that_a_flat_rate_would_call_a_spike(runtime):
    seasonal_series(runtime.store, NOW - timedelta(days=7), AT, evening_peak())
    assert evaluate(runtime.store) == []
    [flat] = evaluate(runtime.store, seasonal=False, volume_window="1s")  # what ignoring the hour would do
    assert flat.metric == 15 and flat.baseline < 3


def test_fires_on_a_burst_on_top_of_the_peak(runtime):
    seasonal_series(runtime.store, NOW - timedelta(days=7), AT, evening_peak())
    burst(runtime.store, 30, AT, timedelta(minutes=20))
    [firing] = evaluate(runtime.store)
    assert firing.metric == 45 and firing.opens
    assert firing.explanation["factors"]["seasonal_expected"] > 10  # the peak was expected


def test_quiet_when_a_launch_brings_more_of_every_review(runtime):
    store = runtime.store
    flat = lambda at: 12  # noqa: E731
    seasonal_series(store, NOW - timedelta(days=7), NOW - timedelta(hours=3), flat)
    seasonal_series(store, NOW - timedelta(hours=3), AT, lambda at: 96)  # launch: 8x all
    assert evaluate(store) == []
    [firing] = evaluate(store, volume_window="1s")  # without the volume factor
    assert firing.metric == 12


def test_keeps_reporting_the_group_while_the_level_stays_high(runtime):
    store = runtime.store
    seasonal_series(store, NOW - timedelta(days=7), AT, lambda at: 12)
    burst(store, 12, AT, timedelta(minutes=30))
    [firing] = evaluate(store)
    assert firing.opens and firing.metric == 14  # 2 of the series, 12 of the burst
    # Ten minutes on, the level is lower but still well above baseline: still reported, as
    # elevated (keeps the incident alive), not as a new alarm.
    burst(store, 3, AT + timedelta(minutes=10), timedelta(minutes=10))
    [later] = evaluate(store, at=AT + timedelta(minutes=10), min_count=20)
    assert not later.opens and later.metric == 12 and later.baseline < 3
    burst(store, 1, AT + timedelta(hours=2), timedelta(minutes=10))
    assert evaluate(store, at=AT + timedelta(hours=2)) == []  # back at baseline: nothing


def test_a_declared_sale_suppresses_the_expected_false_alarm(runtime):
    store = runtime.store
    seasonal_series(store, NOW - timedelta(days=7), NOW - timedelta(hours=2), lambda at: 12)
    # 双11: logistics complaints triple while praise stays flat.
    seasonal_series(store, NOW - timedelta(hours=2), AT, lambda at: 12, negative_share=1 / 4)
    seasonal_series(store, NOW - timedelta(hours=2), AT, lambda at: 6, negative_share=1)
    assert len(evaluate(store)) == 1
    sale = CalendarEvent(name="双11", kind="sale", start=NOW - timedelta(hours=2),
                         end=datetime(2026, 11, 12, tzinfo=NOW.tzinfo), scale=3)
    context = RuleContext(calendar=Calendar([sale]))
    assert evaluate(store, context=context) == []


def test_history_imported_after_a_tick_counts_at_the_next(runtime):
    store = runtime.store
    seasonal_series(store, NOW - timedelta(days=7), AT, lambda at: 12)
    burst(store, 12, AT, timedelta(minutes=30))
    [first] = evaluate(store)
    assert first.opens and first.baseline < 2
    # An old export arrives: the same complaints were just as common three days ago, every
    # hour; the baseline read at the last tick must not hide that.
    seasonal_series(store, NOW - timedelta(days=3), NOW - timedelta(days=2), lambda at: 28,
                    negative_share=1)
    [later] = evaluate(store)
    assert later.baseline > 3  # a day of 28 negatives an hour, spread over the week
