"""Rules grouped by aspect: one group per ``aspect_key`` (``物流配送:negative``), on a real
SQLite store and a fixed clock."""
from __future__ import annotations

from datetime import timedelta

from alerting.detect.rules import build_rule
from alerting.detect.rules.volume_spike import VolumeSpikeConfig
from tests.alerting.conftest import NOW, add_burst, add_series, spike_rule

NAMES = {"yunque": "云雀手机"}
LOGISTICS, QUALITY, PRICE = ("物流配送", "negative"), ("产品质量", "negative"), ("价格", "positive")


def background(store) -> None:
    """Two hours of steady complaints, some about delivery and some about quality."""
    for aspect in (LOGISTICS, QUALITY):
        add_series(store, NOW - timedelta(hours=2), NOW - timedelta(minutes=3),
                   timedelta(minutes=10), aspects=[aspect])


def opening(store, **options):
    firings = build_rule(spike_rule(group_by="aspect", **options), NAMES).evaluate(store, NOW)
    return [f for f in firings if f.opens]


def test_a_burst_of_delivery_complaints_fires_for_that_aspect_only(runtime):
    background(runtime.store)
    # the burst's reviews also praise the price: a negative review is grouped by what it
    # complains about, so "价格:positive" is no group of a negative-review rule
    add_burst(runtime.store, 10, aspects=[LOGISTICS, PRICE])
    add_burst(runtime.store, 2, aspects=[QUALITY])

    [firing] = opening(runtime.store)

    assert (firing.group_key, firing.metric) == ("物流配送:negative", 10)
    assert firing.title == "云雀手机（物流配送·负面） 负面评论激增"
    assert firing.explanation["group_by"] == "aspect"
    assert firing.explanation["summary"].startswith("云雀手机（物流配送·负面）：近 3 分钟负面评论 10 条")
    assert firing.explanation["baseline"]["negatives"] == 12  # that aspect's history only
    assert len(firing.review_ids) == 10


def test_quiet_when_complaints_stay_at_their_usual_level(runtime):
    background(runtime.store)
    add_burst(runtime.store, 2, aspects=[LOGISTICS, PRICE])
    add_burst(runtime.store, 1, aspects=[QUALITY])
    assert opening(runtime.store) == []


def test_a_rule_over_every_review_keeps_every_polarity(runtime):
    """``volume_spike`` reads all reviews: praise rising is a group of its own."""
    add_series(runtime.store, NOW - timedelta(hours=2), NOW - timedelta(minutes=30),
               timedelta(minutes=10), label="positive", aspects=[PRICE])
    add_series(runtime.store, NOW - timedelta(minutes=20), NOW, timedelta(seconds=40),
               label="positive", aspects=[PRICE])  # 30 in 20 minutes, against 1 per 10
    rule = VolumeSpikeConfig(name="volume", type="volume_spike", window="30m", baseline="2h",
                           direction="up", min_count=10, group_by="aspect")
    firings = [f for f in build_rule(rule, NAMES).evaluate(runtime.store, NOW) if f.opens]
    assert [f.group_key for f in firings] == ["价格:positive"]
