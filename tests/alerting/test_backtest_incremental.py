"""The structures that make a backtest fast give what the slow way gives (issue 21, finding 6):
baselines sliced from a snapshot's hourly counts are the buckets the store's reads make,
remembered seasonal fits and hour columns are those of the list fitted, a deferred
explanation is the one computed at once, and a peak kept aside gets the explanation of the
incident's last peak (``tests/alerting/test_backtest_snapshot.py`` checks whole replays)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from alerting.detect import baselines
from alerting.detect.baselines import HourBucket, SeasonalProfile, history
from alerting.detect.calendar import Calendar, Scope
from alerting.detect.explanation import Explained, deferred
from alerting.detect.hourly_counts import forget
from alerting.detect.rules import Firing, build_rule
from alerting.detect.rules.negative_share import NegativeShareConfig
from alerting.detect.rules.negative_spike import NegativeSpikeConfig
from alerting.respond.incidents import IncidentManager
from models.config import CalendarEvent
from models.state import Incident, StateDB
from models.store import ReviewQuery
from models.store.snapshot import SnapshotStore
from tests.alerting.conftest import NOW
from tests.alerting.series import burst, make_review, seasonal_series

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
START = NOW - 9 * DAY


@pytest.fixture
def stores(runtime):
    """Reviews at random times over nine days from two sources, one of them starting on the
    third day; the snapshot covers all but the first and last hours."""
    rng = random.Random(21)
    reviews = []
    for i in range(1500):
        source = "weibo" if i % 3 else "tmall"
        begin = START + (2 * DAY if source == "tmall" else timedelta(0))
        at = begin + (NOW - begin) * rng.random()
        reviews.append(make_review(label=rng.choice(["negative", "positive", "positive"]),
                                   source=source, published_at=at))
    runtime.store.upsert(reviews)
    forget()
    return runtime.store, SnapshotStore(runtime.store, START + HOUR, NOW - HOUR)


def periods():
    rng = random.Random(7)
    yield START + 2 * HOUR, NOW - 2 * HOUR            # every review's hour, and the edges
    yield START + DAY + timedelta(minutes=35), START + DAY + timedelta(minutes=50)  # in one hour
    yield START + DAY, START + 2 * DAY                # on the hour at both ends
    yield START + timedelta(days=1, minutes=5), START + timedelta(days=3, minutes=5)  # tmall begins
    for _ in range(12):
        start = START + HOUR + timedelta(minutes=rng.randrange(0, 7 * 24 * 60))
        yield start, min(start + timedelta(minutes=rng.randrange(1, 3 * 24 * 60)), NOW - HOUR)


@pytest.mark.parametrize("source", ["weibo", "tmall", "nobody"])
def test_baselines_sliced_from_a_snapshot_are_the_buckets_the_store_reads_give(stores, source):
    store, snapshot = stores
    for start, end in periods():
        query = ReviewQuery(sources=(source,), start=start, end=end)
        read = baselines._history(store, query, start, end, Calendar(), Scope())
        sliced = baselines._snapshot_history(snapshot, query, start, end, Calendar(), Scope())
        assert sliced is not None
        assert sliced.buckets == read.buckets, (start, end)
        assert (sliced.total(), sliced.negatives(), sliced.excluded_hours) == \
            (read.total(), read.negatives(), read.excluded_hours)
        # remembered: asked again, the same answer
        assert history(snapshot, query, start, end).buckets == read.buckets
        assert history(snapshot, query, start, end) is history(snapshot, query, start, end)


def test_a_period_with_an_event_is_read_as_before(stores):
    store, snapshot = stores
    sale = CalendarEvent(name="618", start=START + 3 * DAY, end=START + 3 * DAY + 5 * HOUR)
    calendar = Calendar([sale])
    start, end = START + 2 * DAY + timedelta(minutes=20), START + 5 * DAY
    query = ReviewQuery(sources=("weibo",), start=start, end=end)
    assert baselines._snapshot_history(snapshot, query, start, end, calendar, Scope()) is None
    fast = history(snapshot, query, start, end, calendar)
    slow = history(store, query, start, end, calendar)
    assert fast.excluded_hours == slow.excluded_hours == 5
    assert fast.buckets == slow.buckets


def test_hourly_counts_of_a_snapshot_count_as_the_store_does(stores):
    store, snapshot = stores
    hourly = snapshot.hourly(ReviewQuery(sources=("tmall",)))
    for start, end in periods():
        query = ReviewQuery(sources=("tmall",), start=start, end=end)
        expected = (store.count(query)[None],
                    store.count(ReviewQuery(sources=("tmall",), sentiments=("negative",),
                                            start=start, end=end))[None])
        assert hourly.count(start, end) == expected
    k = 30
    at = hourly.start + k * HOUR
    assert (hourly.totals[k], hourly.negatives[k]) == hourly.count(at, at + HOUR)
    assert snapshot.hourly(ReviewQuery(q="电池")) is None  # full text: not held


def test_a_snapshot_remembers_the_results_used_last(stores, monkeypatch):
    _, snapshot = stores
    monkeypatch.setattr("models.store.snapshot.MEMO_LIMIT", 3)
    computed = []

    def value(key):
        return snapshot.remembered(key, lambda: computed.append(key) or key * 10)
    assert [value(k) for k in (1, 2, 3, 1, 4, 1, 2)] == [10, 20, 30, 10, 40, 10, 20]
    # 1 was used again before 4 came in: 2 (the least recently used) made room
    assert computed == [1, 2, 3, 4, 2]


def _buckets(first: datetime, hours: int, rng: random.Random) -> list[HourBucket]:
    return [HourBucket(first + HOUR * k, 1.0 if 0 < k < hours - 1 else 0.5,
                       rng.randrange(0, 30), rng.randrange(0, 5)) for k in range(hours)]


def _unremembered(buckets: list[HourBucket], seasonal: bool = True) -> SeasonalProfile:
    profile = SeasonalProfile(seasonal=seasonal)
    profile._fit(list(buckets))
    return profile


def test_remembered_fits_and_hour_columns_are_those_of_the_list_fitted():
    rng = random.Random(3)
    # same length, first hours a day and seven hours apart: other hours of day and weekdays
    lists = [_buckets(NOW - 8 * DAY, 168, rng), _buckets(NOW - 7 * DAY + 7 * HOUR, 168, rng),
             _buckets(NOW - 8 * DAY, 168, rng)]
    for buckets in lists + lists:
        for seasonal in (True, False):
            fitted = SeasonalProfile(seasonal=seasonal).fit(buckets)
            fresh = _unremembered(buckets, seasonal)
            assert (fitted.hour_, fitted.day_) == (fresh.hour_, fresh.day_)
            local = fitted.columns(buckets)[:2]
            assert [tuple(x) for x in zip(*local)] == [
                fitted._hour_day(b.start) for b in buckets]
            assert fitted.weighted_hours(buckets) == fresh.weighted_hours(buckets)
    # a list with a gap (hours of an event left out) is not taken for consecutive hours
    gap = lists[1][:50] + lists[1][55:] + _buckets(lists[1][-1].start + HOUR, 5, rng)
    profile = SeasonalProfile().fit(gap)
    assert [tuple(x) for x in zip(*profile.columns(gap)[:2])] == [
        profile._hour_day(b.start) for b in gap]


def test_a_deferred_explanation_is_the_one_computed_at_once(configure):
    rt = configure(rules=[NegativeShareConfig(name="share", type="negative_share")])
    start = NOW - DAY
    seasonal_series(rt.store, start - 7 * DAY, NOW, lambda at: 10)
    burst(rt.store, 30, NOW - timedelta(minutes=40), timedelta(minutes=30))
    rule = build_rule(rt.config.rules[0])
    at_once = rule.evaluate(rt.store, NOW)
    assert at_once and at_once[0].explanation.get("terms")
    with deferred():
        later = rule.evaluate(rt.store, NOW)
    assert [f.deferred is not None for f in later] == [True] * len(at_once)
    assert [f.explanation for f in later] == [{}] * len(at_once)
    for eager, lazy in zip(at_once, later):
        assert (lazy.title, lazy.review_ids, lazy.first_review_at, lazy.entities) == \
            (eager.title, eager.review_ids, eager.first_review_at, eager.entities)
        assert lazy.explained() == eager.explanation
        assert lazy.deferred is None and lazy.explanation == eager.explanation
        assert lazy == eager


def _firing(metric: float, at: datetime, explanation: dict, defer: bool) -> Firing:
    later = Explained("t", (), (), None, None, lambda: dict(explanation)) if defer else None
    return Firing(rule="spike", group_key="weibo", at=at, metric=metric, baseline=1.0,
                  p_value=0.01, window_start=at - HOUR, window_end=at, title="t",
                  explanation={} if defer else explanation, deferred=later)


def test_a_peak_kept_aside_gets_the_explanation_of_the_last_peak(tmp_path):
    state = StateDB(f"sqlite:///{tmp_path / 'state.db'}")
    state.create_all()
    rules = [NegativeSpikeConfig(name="spike", type="negative_spike")]
    now = NOW
    manager = IncidentManager(state, {}, clock=lambda: now)
    manager.peaks_later(["spike"])

    def explanation() -> dict:
        with state.session() as session:
            return session.get(Incident, 1).explanation

    def fire(metric: float, name: str, defer: bool = True) -> None:
        nonlocal now
        now += timedelta(minutes=5)
        manager.handle([_firing(metric, now, {"summary": name}, defer)], rules)
    try:
        fire(5, "opened")          # an opening is explained at once
        assert explanation() == {"summary": "opened"}
        fire(8, "peak 8")
        fire(6, "lower")
        fire(9, "peak 9")
        assert explanation() == {"summary": "opened"}  # kept aside until the end
        assert manager.settle_peaks() == 1
        assert explanation() == {"summary": "peak 9"}
        fire(12, "peak 12")
        fire(15, "peak 15, explained at once", defer=False)
        assert manager.settle_peaks() == 0  # the eager peak took the incident out
        assert explanation() == {"summary": "peak 15, explained at once"}
        fire(20, "peak 20")
        manager.peaks_later([])    # rules not named: explained at once
        fire(21, "peak 21")
        assert explanation() == {"summary": "peak 21"}
        assert manager.settle_peaks() == 0
        assert explanation() == {"summary": "peak 21"}
    finally:
        state.close()


def test_the_median_dispersion_is_the_one_numpy_medians_give():
    """``calibration.median_dispersion`` takes its medians without numpy (every tick of a
    replay asks for one per group): the same numbers, odd and even numbers of days."""
    import numpy as np

    from alerting.detect import calibration

    rng = random.Random(11)
    for days in range(3, 12):
        for _ in range(50):
            expected = [rng.uniform(5, 80) for _ in range(days)]
            observed = [float(rng.randrange(0, 120)) for _ in range(days)]
            pairs = list(zip(observed, expected))
            variance = float(np.median([(x - m) ** 2 for x, m in pairs])) / 0.4549
            mean = float(np.median(expected))
            assert calibration.median_dispersion(observed, expected) == min(
                calibration.MAX_DISPERSION, max(0.0, (variance - mean) / (mean * mean)))
