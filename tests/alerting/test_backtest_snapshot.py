"""A backtest over the snapshot store opens the same incidents as one reading the store at
every tick (issue 21, finding 6: fast backtests)."""
from __future__ import annotations

from datetime import timedelta

from alerting.detect.backtest import backtest
from alerting.detect.rules.negative_share import NegativeShareConfig
from alerting.detect.rules.negative_spike import NegativeSpikeConfig
from alerting.detect.rules.rating_drop import RatingDropConfig
from alerting.detect.rules.source_silent import SourceSilentConfig
from alerting.detect.rules.volume_spike import VolumeSpikeConfig
from tests.alerting.conftest import NOW
from tests.alerting.series import burst, seasonal_series


def test_a_backtest_on_the_snapshot_opens_what_reading_the_store_opens(configure):
    day = timedelta(days=1)
    rt = configure(rules=[NegativeSpikeConfig(name="spike", type="negative_spike"),
                          NegativeShareConfig(name="share", type="negative_share"),
                          VolumeSpikeConfig(name="volume", type="volume_spike"),
                          SourceSilentConfig(name="silent", type="source_silent")])
    start = NOW - day
    seasonal_series(rt.store, start - 7 * day, start + day, lambda at: 10)
    # a complaint burst, then the source falls silent for the evening
    burst(rt.store, 30, start + timedelta(hours=5), timedelta(minutes=20))
    end = start + timedelta(hours=12)
    fast = backtest(rt, start, end, interval=timedelta(minutes=10))
    slow = backtest(rt, start, end, interval=timedelta(minutes=10), snapshot=False)
    assert fast.incidents and fast.incidents == slow.incidents


def test_the_five_rule_types_of_the_speed_benchmark_open_the_same_incidents(configure):
    """Grouped by source as in ``benchmarks.rules_bench`` (issue 21: backtest < 30 s): the
    incidents, their explanations (terms, near-duplicate groups, examples) and firing ticks
    are those of the replay reading the store at every tick."""
    day = timedelta(days=1)
    rt = configure(rules=[
        NegativeSpikeConfig(name="spike", type="negative_spike", group_by="source"),
        NegativeShareConfig(name="share", type="negative_share", group_by="source"),
        VolumeSpikeConfig(name="volume", type="volume_spike", group_by="source"),
        RatingDropConfig(name="rating", type="rating_drop", group_by="source"),
        SourceSilentConfig(name="silent", type="source_silent")])
    start = NOW - day
    for source in ("tmall", "weibo"):
        seasonal_series(rt.store, start - 7 * day, start + day, lambda at: 8, source=source)
    burst(rt.store, 30, start + timedelta(hours=4), timedelta(minutes=30), source="tmall")
    burst(rt.store, 25, start + timedelta(hours=9), timedelta(hours=1), source="weibo",
          rating=2.0, tokens=("客服", "不理人"))
    end = start + timedelta(hours=14)
    fast = backtest(rt, start, end, interval=timedelta(minutes=10))
    slow = backtest(rt, start, end, interval=timedelta(minutes=10), snapshot=False)
    assert fast.incidents == slow.incidents
    assert {i["group"] for i in fast.incidents} >= {"tmall", "weibo"}
    assert {i["rule"] for i in fast.incidents} >= {"spike", "share", "volume", "rating"}
    assert any(i["explanation"].get("duplicates", {}).get("repeated")
               for i in fast.incidents)
