"""A rule reads every group at once (``models.store.grouped.GroupedReads``), with the same
answers as group by group, on SQLite and on Elasticsearch; a detection tick on
Elasticsearch sends as many requests with six active entities as with two (issue 19: the
detection tick at scale)."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from alerting.detect import hourly_counts
from alerting.detect.rules import RuleContext, build_rule
from alerting.detect.rules.negative_share import NegativeShareConfig
from alerting.detect.rules.negative_spike import NegativeSpikeConfig
from alerting.detect.rules.rating_drop import RatingDropConfig
from alerting.detect.rules.source_silent import SourceSilentConfig
from alerting.detect.rules.volume_spike import VolumeSpikeConfig
from alerting.detect.tick import run_detection
from models.config import EntityConfig, StoreConfig
from models.runtime import Runtime
from models.store import ReviewQuery
from models.store.elasticsearch.store import ElasticsearchReviewStore
from models.store.grouped import GroupedReads
from models.store.sqlite.store import SQLiteReviewStore
from tests.alerting.conftest import NOW
from tests.alerting.series import burst, seasonal_series
from web.runtime import wire

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
RULES = [NegativeSpikeConfig(name="spike", type="negative_spike"),
         NegativeSpikeConfig(name="spike-legacy", type="negative_spike", window="10m",
                             baseline="7d", min_count=5, p_value=1e-3, min_ratio=2.0),
         VolumeSpikeConfig(name="volume", type="volume_spike", group_by="entity"),
         NegativeShareConfig(name="share", type="negative_share", group_by="entity"),
         RatingDropConfig(name="rating", type="rating_drop", group_by="entity"),
         SourceSilentConfig(name="silent", type="source_silent")]


@pytest.fixture(params=["sqlite", "elasticsearch"])
def store(request, tmp_path):
    if request.param == "sqlite":
        made = SQLiteReviewStore(tmp_path)
    else:
        made = ElasticsearchReviewStore(tmp_path, url=request.getfixturevalue("es_url"),
                                        index_prefix=request.getfixturevalue("es_prefix"))
    yield made
    made.close()


@pytest.fixture(autouse=True)
def _counts_forgotten():
    """Every evaluation reads its hourly counts afresh (they are remembered per store)."""
    hourly_counts._cache.clear()
    yield
    hourly_counts._cache.clear()


class CountingStore(GroupedReads):
    """Passes every read on, counting them by method (a ``GroupedReads`` that learns no
    groups batches nothing)."""

    def __init__(self, store):
        super().__init__(store)
        self.calls = Counter()

    def __getattribute__(self, name):
        if name in {"count", "cross_count", "trend", "first_published", "feed", "search",
                    "iter_reviews", "keyword_counts", "aggregate", "get"}:
            object.__getattribute__(self, "calls")[name] += 1
            return getattr(object.__getattribute__(self, "store"), name)
        return object.__getattribute__(self, name)


def market(store) -> None:
    """Eight days of reviews about two brands, a product of the first and a brand sharing
    some reviews with it, from three sources; then a complaint burst on one brand, low
    ratings on another, a product's negatives rising a little, a source gone quiet."""
    start = NOW - 8 * DAY
    seasonal_series(store, start, NOW, lambda at: 6, entities=["yunque"], source="s1",
                    topics=["价格"])
    seasonal_series(store, start, NOW, lambda at: 4, negative_share=0.2,
                    entities=["huamei"], source="s2")
    seasonal_series(store, start, NOW, lambda at: 3, entities=["yunque", "lanting"],
                    source="s2", aspects=[("物流配送", "negative")])
    seasonal_series(store, start, NOW, lambda at: 3, entities=["yunque-x1"], source="s1")
    seasonal_series(store, start, NOW - 6 * HOUR, lambda at: 5, entities=["lanting"],
                    source="s3")
    burst(store, 30, NOW - timedelta(minutes=1), timedelta(minutes=25), entities=["huamei"],
          source="s2")
    burst(store, 12, NOW, 2 * HOUR, label="neutral", rating=1.0, entities=["yunque"],
          source="s1")
    burst(store, 6, NOW, HOUR, entities=["yunque-x1"], source="s1")


def evaluate(rule_config, store):
    context = RuleContext(parents={"yunque-x1": "yunque"})
    names = {"yunque": "云雀", "huamei": "华美", "lanting": "兰亭", "yunque-x1": "云雀 X1"}
    hourly_counts._cache.clear()
    return build_rule(rule_config, names, context).evaluate(store, NOW)


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_a_rule_reading_every_group_at_once_fires_as_group_by_group(store, rule):
    market(store)
    plain = evaluate(rule, store)
    counting = CountingStore(store)
    assert evaluate(rule, counting) == plain
    grouped = GroupedReads(CountingStore(store))
    assert evaluate(rule, grouped) == plain
    if rule.name == "share":
        return  # nothing fires there: reading at once must not make anything fire either
    assert plain, "the market must make every other rule fire"
    assert sum(grouped.store.calls.values()) < sum(counting.calls.values())


def test_grouped_reads_answer_as_the_store(store):
    market(store)
    grouped = GroupedReads(store)
    span = ReviewQuery(start=NOW - DAY - timedelta(minutes=17), end=NOW)
    assert grouped.count(span, "entity")  # learns the entities
    for entity in ("yunque", "lanting", "huamei", "nobody"):
        for query in (ReviewQuery(entities=(entity,), start=span.start, end=span.end),
                      ReviewQuery(entities=(entity,), sentiments=("negative",),
                                  start=NOW - 7 * DAY, end=NOW - DAY)):
            assert grouped.count(query) == store.count(query)
            assert grouped.count(query, "sentiment") == store.count(query, "sentiment")
            assert grouped.count(query, "source") == store.count(query, "source")
            assert grouped.trend(query, HOUR) == store.trend(query, HOUR)
            assert grouped.first_published(query) == store.first_published(query)
            assert grouped.count(query, "entity") == store.count(query, "entity")


def test_first_published_per_group(store):
    market(store)
    query = ReviewQuery(start=NOW - 6 * HOUR - timedelta(seconds=1), end=NOW)
    firsts = store.first_published(query, "entity")
    assert set(firsts) == {"yunque", "huamei", "lanting", "yunque-x1"}
    for entity, first in firsts.items():
        oldest = next(store.iter_reviews(ReviewQuery(entities=(entity,), start=query.start,
                                                     end=query.end), batch_size=1))
        assert first == oldest.published_at
    # only the filtered values are groups; nothing matching, no key
    assert set(store.first_published(ReviewQuery(entities=("lanting",)), "entity")) == {
        "lanting"}
    assert store.first_published(ReviewQuery(entities=("nobody",))) == {}
    assert store.first_published(ReviewQuery(), "source").keys() == {"s1", "s2", "s3"}


def complaints(store, entities: list[str]) -> None:
    """Two days of reviews about each of ``entities`` and three complaints in the last ten
    minutes: a tick reads every one of them."""
    for entity in entities:
        seasonal_series(store, NOW - 2 * DAY, NOW - timedelta(minutes=10), lambda at: 3,
                        entities=[entity])
        burst(store, 3, NOW, timedelta(minutes=9), entities=[entity])


def test_a_tick_on_elasticsearch_sends_as_many_requests_whatever_the_entities(
        runtime, tmp_path, es_url, es_prefix):
    config = runtime.config.model_copy(update={
        "store": StoreConfig(backend="elasticsearch",
                             options={"url": es_url, "index_prefix": es_prefix}),
        "entities": [EntityConfig(id=f"e{k}", name=f"品牌{k}", keywords=[f"品牌{k}"])
                     for k in range(8)],
        # no firing opens (an opening firing reads its sample reviews: once per firing)
        "rules": [rule.model_copy(update={"min_count": 1000}) for rule in RULES[:2]]})
    rt = wire(Runtime(config, runtime.config_path, tmp_path / "es-home"))
    sent: Counter = Counter()
    perform = rt.store.client.perform_request

    def counted(method, path, **kwargs):
        sent[kwargs.get("endpoint_id") or path] += 1
        return perform(method, path, **kwargs)

    def tick(entities: int) -> int:
        hourly_counts._cache.clear()
        sent.clear()
        report = run_detection(rt, now=NOW, dry_run=True)
        assert report.ok and report.rules == ["spike", "spike-legacy"]
        # every entity was tested by both rules: each is still elevated, none opens
        assert Counter(f.group_key for f in report.firings if not f.opens) == {
            f"e{k}": 2 for k in range(entities)}
        return sum(sent.values())
    try:
        complaints(rt.store, ["e0", "e1"])
        rt.store.client.perform_request = counted
        two = tick(2)
        complaints(rt.store, [f"e{k}" for k in range(2, 8)])
        eight = tick(8)
    finally:
        rt.close()
    assert eight == two, (two, eight)
    assert two < 60, dict(sent)  # 28 on Elasticsearch 9.x, hourly counts cold


def test_the_rule_editor_sees_the_groups_as_group_by_group(store):
    market(store)
    context = RuleContext(parents={"yunque-x1": "yunque"})
    rule = build_rule(RULES[0], {"yunque": "云雀", "huamei": "华美"}, context)
    plain = rule.group_status(store, NOW)
    hourly_counts._cache.clear()
    assert len(plain) == 4 and rule.group_status(GroupedReads(store), NOW) == plain
