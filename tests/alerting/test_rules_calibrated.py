"""Every counting rule type is calibrated to the false-alarm budget at its defaults (issue
21, finding 2): levels a calm group reaches several times a week do not fire, while the
settings before calibration (a per-tick ``p_value``) did, and a real change still fires."""
from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.detect import thresholds
from alerting.detect.rules import build_rule
from alerting.detect.rules.emerging_topic import EmergingTopicConfig
from alerting.detect.rules.negative_share import NegativeShareConfig
from alerting.detect.rules.rating_drop import RatingDropConfig
from alerting.detect.rules.source_silent import SourceSilentConfig
from alerting.detect.rules.volume_spike import VolumeSpikeConfig
from tests.alerting.conftest import NOW
from tests.alerting.series import burst, make_review, seasonal_series

WEEK_AGO = NOW - timedelta(days=7)
BEFORE = dict(p_value=0.001)  # the previous defaults: one window, a per-tick p-value


def rule(config, **options):
    return build_rule(config(name="r", type=config.model_fields["type"].annotation
                             .__args__[0], **options))


def reviews(store, end, span, labels, **values):
    """Reviews spread evenly over ``[end - span, end)``, one per label ('negative', ...)."""
    n = len(labels)
    store.upsert([make_review(label=label, published_at=end - span + span * (i + 0.5) / n,
                              **values) for i, label in enumerate(labels)])


def test_lower_threshold_mirrors_the_upper_one():
    # a window expecting 8 reviews: empty only fires when that is rare enough for the budget
    assert thresholds.lower_threshold(8, 0.0, 2, 1.0) == 0
    assert thresholds.lower_threshold(8, 0.0, 2, 0.1) == -1
    assert thresholds.lower_threshold(100, 0.0, 2, 0.1) > 60
    assert thresholds.lower_rate(-1, 8, 0.0, 2) == 0
    rates = [thresholds.lower_rate(k, 50, 0.02, 1) for k in range(0, 35)]
    assert rates == sorted(rates)  # a higher level is reached more often


def test_share_threshold_is_the_lowest_level_within_the_budget():
    # the share rules' threshold and the rate the explanation reports agree at the boundary
    for n, share, alpha, budget in ((40, 0.1, 0.05, 0.1), (200, 0.15, 0.0, 0.02),
                                    (12, 0.2, 0.3, 0.5)):
        k = thresholds.share_threshold(n, share, alpha, timedelta(hours=1), budget)
        assert share * n < k <= n
        assert thresholds.share_rate(k, n, share, alpha, 1.0) <= budget
        assert thresholds.share_rate(k - 1, n, share, alpha, 1.0) > budget
    assert thresholds.share_threshold(5, 0.5, 0.0, timedelta(hours=1), 1e-9) == 6  # none can


def test_negative_share_calm_small_windows_do_not_fire_as_before(runtime):
    store = runtime.store
    # the source's usual volume: 16 reviews a half hour (the calm source); a window
    # holding far more than usual is judged at the usual arrival rate (test_rules_recall)
    seasonal_series(store, WEEK_AGO, NOW - timedelta(minutes=30), lambda at: 32,
                    negative_share=1 / 12)
    # 7 of 16 in half an hour against 1/12: the previous default fired on it
    reviews(store, NOW, timedelta(minutes=30), ["negative"] * 7 + ["positive"] * 9)
    assert rule(NegativeShareConfig, **BEFORE).evaluate(store, NOW)
    assert rule(NegativeShareConfig).evaluate(store, NOW) == []


def test_negative_share_fires_on_a_sustained_half_negative_stretch_at_low_volume(runtime):
    # at 6 reviews an hour half of them negative is told from chance over hours, not minutes
    store = runtime.store
    start = NOW - timedelta(hours=8)
    seasonal_series(store, WEEK_AGO, start, lambda at: 6, negative_share=1 / 7)
    seasonal_series(store, start, NOW, lambda at: 6, negative_share=0.5)
    assert rule(NegativeShareConfig, **BEFORE).evaluate(store, NOW) == []  # 3 per 30 min
    [firing] = rule(NegativeShareConfig).evaluate(store, NOW)
    assert firing.metric == pytest.approx(0.5)
    threshold = firing.explanation["threshold"]
    assert threshold["false_alarms_per_week"] == 0.5 and threshold["tests"] == 5
    assert firing.explanation["count"] >= threshold["threshold"]


def test_volume_spike_low_volume_level_reached_weekly_does_not_fire(runtime):
    store = runtime.store
    seasonal_series(store, WEEK_AGO, NOW - timedelta(minutes=30), lambda at: 7)
    seasonal_series(store, NOW - timedelta(minutes=30), NOW, lambda at: 22)  # 11 in 30 min
    assert rule(VolumeSpikeConfig, **BEFORE).evaluate(store, NOW)
    assert rule(VolumeSpikeConfig).evaluate(store, NOW) == []
    burst(store, 30, NOW, timedelta(minutes=20), label="positive")  # a viral moment
    [firing] = rule(VolumeSpikeConfig).evaluate(store, NOW)
    assert firing.explanation["direction"] == "up" and "threshold" in firing.explanation


def test_rating_drop_five_low_ratings_are_not_significant_alone(runtime):
    store = runtime.store
    # 4 rated reviews an hour, one in ten low
    seasonal_series(store, WEEK_AGO, NOW - timedelta(hours=1), lambda at: 4,
                    negative_share=0.1)
    reviews(store, NOW, timedelta(minutes=30), ["negative"] * 5, rating=1.0)
    assert rule(RatingDropConfig, **BEFORE).evaluate(store, NOW)  # a z-test on 5 ratings
    assert rule(RatingDropConfig).evaluate(store, NOW) == []
    reviews(store, NOW, timedelta(minutes=40), ["negative"] * 10, rating=1.0)
    [firing] = rule(RatingDropConfig).evaluate(store, NOW)
    assert firing.metric < firing.baseline - 1
    assert firing.explanation["threshold"]["low_stars"] == 2
    assert firing.explanation["distribution"]["1"] >= 15


def test_source_silent_a_short_gap_does_not_fire_a_long_silence_does(runtime):
    store = runtime.store
    seasonal_series(store, WEEK_AGO, NOW - timedelta(hours=2), lambda at: 4)
    # nothing for 2 hours at 4 an hour: the previous default called it dead
    assert rule(SourceSilentConfig, **BEFORE).evaluate(store, NOW)
    assert rule(SourceSilentConfig).evaluate(store, NOW) == []
    later = NOW + timedelta(hours=4)  # six hours without a review
    [firing] = rule(SourceSilentConfig).evaluate(store, later)
    assert firing.metric == 0 and "threshold" in firing.explanation


def test_emerging_topic_budget_is_shared_by_every_term_tested(runtime):
    store = runtime.store
    common = [f"词{i:02d}" for i in range(40)]
    baseline = [make_review(label="negative", published_at=WEEK_AGO + timedelta(minutes=20 * i),
                            tokens=[common[i % 40], common[(i * 7) % 40],
                                    "电池" if i % 50 == 0 else "一般"])
                for i in range(500)]
    store.upsert(baseline)
    window = [make_review(label="negative", published_at=NOW - timedelta(minutes=2 * i + 1),
                          tokens=[common[i % 40], common[(i * 3 + 1) % 40],
                                  "电池" if i < 5 else "一般"])
              for i in range(20)]
    store.upsert(window)
    before = rule(EmergingTopicConfig, fields=["term"], **BEFORE).evaluate(store, NOW)
    assert [f.group_key for f in before] == ["term:电池"]
    assert rule(EmergingTopicConfig, fields=["term"]).evaluate(store, NOW) == []
    store.upsert([make_review(label="negative", published_at=NOW - timedelta(seconds=30 + i),
                              tokens=["电池", "爆炸"]) for i in range(10)])
    fired = rule(EmergingTopicConfig, fields=["term"]).evaluate(store, NOW)
    assert [f.group_key for f in fired] == ["term:电池"]
