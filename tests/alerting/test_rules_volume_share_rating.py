"""negative_share, volume_spike and rating_drop: each fires on a crafted series and stays
quiet on seasonality and volume growth alone."""
from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.detect.calendar import Calendar
from alerting.detect.rules import RuleContext, build_rule
from alerting.detect.rules.negative_share import NegativeShareConfig
from alerting.detect.rules.rating_drop import RatingDropConfig
from alerting.detect.rules.volume_spike import VolumeSpikeConfig
from models.config import CalendarEvent
from tests.alerting.conftest import NOW
from tests.alerting.series import burst, evening_peak, seasonal_series

AT = NOW + timedelta(minutes=30)  # 20:30 in Beijing, inside the evening peak
WEEK_AGO = NOW - timedelta(days=7)


def share_rule(**options):
    return build_rule(NegativeShareConfig(name="share", type="negative_share", **options))


def volume_rule(context=None, **options):
    return build_rule(VolumeSpikeConfig(name="volume", type="volume_spike", **options),
                      context=context)


def rating_rule(**options):
    return build_rule(RatingDropConfig(name="rating", type="rating_drop", **options))


@pytest.fixture
def peaked(runtime):
    seasonal_series(runtime.store, WEEK_AGO, AT, evening_peak())
    return runtime.store


def test_negative_share_quiet_on_seasonality_fires_when_the_share_jumps(peaked):
    assert share_rule().evaluate(peaked, AT) == []
    burst(peaked, 40, AT, timedelta(minutes=20))
    assert share_rule().evaluate(peaked, AT)  # the default windows catch it
    [firing] = share_rule(window="30m").evaluate(peaked, AT)
    assert firing.metric == pytest.approx(55 / 100)  # 15 + 40 negatives of 60 + 40
    assert 0.25 < firing.baseline < 0.35  # night hours: 1 negative of 2
    assert firing.explanation["summary"].startswith("近 30 分钟负面评论占比 55%（55/100）")


def test_negative_share_quiet_on_volume_growth(runtime):
    seasonal_series(runtime.store, WEEK_AGO, NOW, lambda at: 12)
    seasonal_series(runtime.store, NOW, AT, lambda at: 240)  # 20x volume, same share
    assert share_rule().evaluate(runtime.store, AT) == []


def test_volume_spike_quiet_at_the_peak_fires_on_virality_and_on_a_fall(peaked, runtime):
    assert volume_rule().evaluate(peaked, AT) == []
    burst(peaked, 200, AT, timedelta(minutes=20), label="neutral")
    [up] = volume_rule().evaluate(peaked, AT)
    assert up.metric == 260 and up.explanation["direction"] == "up"
    # An hour later the reviews stop in what should be the busiest hour.
    later = NOW + timedelta(hours=1, minutes=50)
    [down] = volume_rule().evaluate(peaked, later)
    assert down.metric == 0 and down.baseline > 30 and down.explanation["direction"] == "down"
    outage = CalendarEvent(name="维护", kind="outage", start=NOW + timedelta(hours=1),
                           end=NOW + timedelta(hours=3))
    assert volume_rule(RuleContext(Calendar([outage]))).evaluate(peaked, later) == []
    assert volume_rule(direction="up").evaluate(peaked, later) == []


def test_rating_drop_fires_when_the_average_falls_not_on_growth(runtime):
    store = runtime.store
    seasonal_series(store, WEEK_AGO, NOW, lambda at: 12)
    seasonal_series(store, NOW, AT, lambda at: 60)  # more reviews, same ratings
    assert rating_rule(window="30m").evaluate(store, AT) == []
    burst(store, 20, AT, timedelta(minutes=10), rating=1.0)
    [firing] = rating_rule(window="30m").evaluate(store, AT)
    assert firing.metric < firing.baseline - 1 and firing.p_value < 0.001
    assert firing.explanation["metric"] == "average_rating"
    assert all(r["id"] for r in firing.explanation["reviews"])


def test_rating_drop_ignores_unrated_reviews(runtime):
    store = runtime.store
    seasonal_series(store, WEEK_AGO, NOW, lambda at: 12)
    burst(store, 20, AT, timedelta(minutes=10), rating=None)
    assert rating_rule(window="30m").evaluate(store, AT) == []
