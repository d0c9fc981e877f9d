"""NegativeSpikeRule against a real SQLite review store on a fixed clock."""
from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.detect.rules import NegativeSpikeRule, build_rule
from alerting.detect.rules.negative_spike import spike_test
from alerting.exceptions import RuleError
from tests.alerting.conftest import NOW, add_burst, add_series, spike_rule

NAMES = {"yunque": "云雀手机", "yunque-x5": "云雀 X5"}


def evaluate(store, **rule_options):
    """The firings that raise an alarm (elevated-only reports are tested elsewhere)."""
    firings = build_rule(spike_rule(**rule_options), NAMES).evaluate(store, NOW)
    return [f for f in firings if f.opens]


def test_fires_on_a_burst_and_explains_it(runtime):
    store = runtime.store
    # Two days of calm: a negative review every 7.5 minutes (0.4 per 3 minutes), praise too.
    add_series(store, NOW - timedelta(days=2), NOW - timedelta(minutes=3),
               timedelta(minutes=7.5))
    add_series(store, NOW - timedelta(days=2), NOW, timedelta(minutes=30), label="positive")
    burst = add_burst(store, 21, likes=3)

    [firing] = evaluate(store, baseline="2d", entities=["yunque"])

    assert (firing.rule, firing.group_key, firing.at, firing.metric) == ("negative-spike", "",
                                                                         NOW, 21)
    # A flat series: the hour-of-day/day-of-week profile hardly moves the flat rate.
    assert firing.baseline == pytest.approx(384 / (2877 * 60) * 180, rel=0.05)
    [flat] = evaluate(store, baseline="2d", entities=["yunque"], seasonal=False)
    assert flat.baseline == pytest.approx(384 / (2877 * 60) * 180)
    assert firing.p_value < 1e-15
    assert (firing.window_start, firing.window_end) == (NOW - timedelta(minutes=3), NOW)
    assert firing.title == "云雀手机 负面评论激增"
    assert firing.entities == ("yunque",)
    assert set(firing.review_ids) == {r.id for r in burst}
    e = firing.explanation
    assert e["summary"] == "近 3 分钟负面评论 21 条，基线预期 0.4 条（约 52 倍）；共获赞 63"
    assert e["summary_en"].startswith("21 negative reviews in the last 3 minutes")
    assert e["summary_en"].endswith("; 63 likes")
    assert e["reach"] == {"reviews": 21, "likes": 63, "replies": 0, "reposts": 0,
                          "author_followers": 0, "total": 63}
    assert e["baseline"]["negatives"] == 384
    assert e["baseline"]["covered_seconds"] == 2877 * 60
    assert {"发热", "烫手"} <= {t["term"] for t in e["terms"][:5]}
    assert "电池" not in {t["term"] for t in e["terms"]}
    assert e["topics"] == [{"topic": "功能性能", "count": 21}]
    assert 3 <= len(e["reviews"]) <= 5
    by_id = {r.id: r for r in burst}
    for shown in e["reviews"]:
        review = by_id[shown["id"]]
        assert shown["text"] == review.text and shown["url"] == review.url
        assert shown["author"] == review.author
        assert shown["published_at"] == review.published_at.isoformat()


def test_quiet_on_a_flat_series(runtime):
    # 6 negatives per 3 minutes, all the time: the window is exactly what is expected.
    add_series(runtime.store, NOW - timedelta(hours=2), NOW, timedelta(seconds=30))
    assert evaluate(runtime.store) == []


def test_quiet_on_zero_against_zero(runtime):
    add_series(runtime.store, NOW - timedelta(hours=2), NOW, timedelta(minutes=1),
               label="positive")
    assert evaluate(runtime.store) == []
    assert evaluate(runtime.store, min_count=1) == []


def test_quiet_on_trivial_counts(runtime):
    add_series(runtime.store, NOW - timedelta(hours=1), NOW - timedelta(minutes=50),
               timedelta(minutes=20))                     # 1 negative in the baseline
    add_burst(runtime.store, 3)                           # 3 in the window
    assert evaluate(runtime.store) == []


def test_quiet_on_a_uniform_increase_below_significance(runtime):
    # 2 negatives per 3 minutes expected; 5 arrive: 2.5x, past min_ratio and min_count,
    # but P(X >= 5 | 2) = 0.053 is far from p < 0.001.
    add_series(runtime.store, NOW - timedelta(hours=2), NOW - timedelta(minutes=3),
               timedelta(seconds=90))
    add_burst(runtime.store, 5)
    test = spike_test(5, 78, timedelta(minutes=117), timedelta(minutes=3))
    assert test.ratio >= 2 and test.p_value > 0.05
    assert evaluate(runtime.store) == []


def test_a_young_store_is_not_diluted_by_empty_history(runtime):
    # Half an hour of history at 1 negative a minute: 6 in 3 minutes is ordinary, even though
    # the configured baseline (2 days) would make it look rare if empty days counted.
    add_series(runtime.store, NOW - timedelta(minutes=33), NOW - timedelta(minutes=3),
               timedelta(minutes=1))
    add_burst(runtime.store, 6)
    assert evaluate(runtime.store, baseline="2d") == []


def test_a_burst_on_an_empty_history_fires_against_the_floor(runtime):
    add_burst(runtime.store, 8)
    [firing] = evaluate(runtime.store)
    assert firing.metric == 8 and firing.baseline == pytest.approx(0.1)
    assert firing.explanation["baseline"]["negatives"] == 0


def test_grouping_by_entity_gives_one_firing_per_group(runtime):
    store = runtime.store
    for entity in ("yunque", "yunque-x5", "other"):
        add_series(store, NOW - timedelta(hours=2), NOW - timedelta(minutes=3),
                   timedelta(minutes=10), entities=[entity])
    add_burst(store, 12, entities=["yunque"])
    add_burst(store, 9, entities=["yunque-x5"])
    add_burst(store, 2, entities=["other"])

    firings = evaluate(store, group_by="entity")

    assert [(f.group_key, f.metric) for f in firings] == [("yunque", 12), ("yunque-x5", 9)]
    assert [f.title for f in firings] == ["云雀手机 负面评论激增", "云雀 X5 负面评论激增"]
    assert firings[1].explanation["summary"].startswith("云雀 X5：近 3 分钟负面评论 9 条")
    assert [f.entities for f in firings] == [("yunque",), ("yunque-x5",)]


def test_grouping_by_entity_keeps_to_the_rules_entities(runtime):
    add_burst(runtime.store, 12, entities=["yunque", "yunque-x5"])
    firings = evaluate(runtime.store, group_by="entity", entities=["yunque-x5"])
    assert [f.group_key for f in firings] == ["yunque-x5"]


def test_grouping_by_source(runtime):
    add_burst(runtime.store, 7, source="weibo-yunque")
    add_burst(runtime.store, 3, source="demo-appstore")
    [firing] = evaluate(runtime.store, group_by="source")
    assert firing.group_key == "weibo-yunque"
    assert firing.title == "云雀手机（weibo-yunque） 负面评论激增"


def test_build_rule_names_the_rule_on_an_unknown_type():
    config = spike_rule().model_copy(update={"type": "positive_spike"})
    with pytest.raises(RuleError, match="'negative-spike'.*unknown rule type 'positive_spike'"):
        build_rule(config)


def test_required_options_are_checked():
    config = spike_rule().model_copy(update={"min_count": None})
    with pytest.raises(RuleError, match="missing required option.*min_count"):
        NegativeSpikeRule(config)
