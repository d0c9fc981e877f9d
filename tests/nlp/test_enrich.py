import pytest

from models.review import Review
from models.store import ReviewQuery
from nlp.enrich import Enricher
from nlp.segment import query_terms
from tests.factories import make_review


def blank(**values) -> Review:
    """A review as a spider yields it: nothing analysed yet."""
    values.setdefault("entities", [])
    return make_review(text_norm="", script="other", sentiment=None, topics=[], keywords=[],
                       tokens=[], **values)


def test_enrich_fills_every_field(enricher, model):
    review = blank(text="雲雀X5的螢幕很好看，但是電池續航太差了！！！[怒]", entities=["yunque"])
    assert enricher.enrich([review]) == [review]
    assert review.text_norm == "云雀X5的屏幕很好看,但是电池续航太差了![怒]"
    assert review.script == "zh-Hant"
    assert review.sentiment.model == model.version
    assert review.sentiment.label in ("negative", "neutral", "positive")
    assert {"外观设计", "电池续航", "功能性能"} <= set(review.topics)
    assert ("电池续航", "negative") in review.aspects
    assert ("外观设计", "positive") in review.aspects
    assert "续航" in review.keywords
    assert review.entities == ["yunque", "yunque-x5"]
    assert "x5" in review.tokens and "[怒]" in review.tokens and "，" not in review.tokens
    assert review.text == "雲雀X5的螢幕很好看，但是電池續航太差了！！！[怒]"  # as written


def test_negative_and_positive_reviews_in_one_batch(enricher):
    reviews = [blank(text="质量不好，用两天就坏了，退货！"), blank(text="质量很好，物流也快，满意"),
               blank(text=""), blank(text="请问续航怎么样？")]
    enricher.enrich(reviews)
    assert [r.sentiment.label for r in reviews] == ["negative", "positive", "neutral", "neutral"]
    assert reviews[2].tokens == [] and reviews[2].topics == [] and reviews[2].script == "other"


def test_flags_are_recomputed_and_other_flags_kept(enricher):
    review = blank(text="吃了他家的东西食物中毒，已经报警", flags=["duplicate", "spam"])
    enricher.enrich([review])
    assert review.flags == ["duplicate", "crisis:食物中毒", "crisis:报警"]
    spam = blank(text="低价代购，加微信 abc12345")
    enricher.enrich([spam])
    assert spam.flags == ["spam"]


def test_a_spam_flag_never_removes_sentiment(enricher):
    # The audit: complaints that mention WeChat or 私信 were flagged and made neutral, so they
    # dropped out of the negative counts. The flag marks; it never rewrites the opinion.
    ad = blank(text="正品代购质量超好物流超快，加微信 abc12345")
    complaint = blank(text="客服让我加微信处理售后，结果一直不回，差评")
    enricher.enrich([ad, complaint])
    assert ad.flags == ["spam"] and ad.sentiment.label == "positive" and ad.aspects
    assert complaint.flags == [] and complaint.sentiment.label == "negative"
    assert ad.sentiment.model == enricher.model.version


def test_enriching_again_changes_nothing(enricher):
    review = blank(text="云雀手机发货很慢，客服态度也差，维权！", entities=["yunque"])
    first = enricher.enrich([review])[0].to_dict()
    second = enricher.enrich([review])[0].to_dict()
    assert first == second


def test_title_is_analysed_with_the_text(enricher):
    review = blank(text="用了一周", title="垃圾手机，千万别买")
    enricher.enrich([review])
    assert review.text_norm == "用了一周"
    assert review.sentiment.label == "negative"
    assert "垃圾" in review.tokens


def test_entity_topics_from_config(model):
    from models.config import EntityConfig
    entity = EntityConfig(id="maple", name="枫叶咖啡", keywords=["枫叶咖啡"], topics={"出杯": ["出杯"]})
    enricher = Enricher([entity], model=model, crisis_terms=[])
    about, other = blank(text="枫叶咖啡出杯太慢"), blank(text="这家出杯太慢")
    enricher.enrich([about, other])
    assert about.entities == ["maple"] and "出杯" in about.topics
    assert "出杯" not in other.topics
    assert "枫叶咖啡" in about.tokens  # the entity keyword is one token


def test_entity_topics_can_replace_the_default_taxonomy(model):
    from models.config import EntityConfig
    bank = EntityConfig(id="bank", name="青松银行", keywords=["青松银行"], topics_replace=True,
                        topics={"柜台服务": ["柜台", "排队"], "手机银行": ["app", "转账"]})
    enricher = Enricher([bank], model=model, crisis_terms=[])
    about, other = blank(text="青松银行柜台排队两小时，客服态度差，APP转账也失败"), \
        blank(text="柜台排队两小时，客服态度差")
    enricher.enrich([about, other])
    assert about.topics == ["柜台服务", "手机银行"]  # no 客服态度 / 服务速度 from the default
    assert {topic for topic, _ in about.aspects} <= {"柜台服务", "手机银行"}
    assert "客服态度" in other.topics and "柜台服务" not in other.topics


def test_replacing_the_taxonomy_needs_topics():
    from pydantic import ValidationError

    from models.config import EntityConfig
    with pytest.raises(ValidationError, match="topics_replace"):
        EntityConfig(id="bank", name="青松银行", keywords=["青松银行"], topics_replace=True)


def test_analyze_returns_a_json_ready_dict(enricher):
    result = enricher.analyze("云雀X5 物流很快，质量很好👍")
    assert result["sentiment"]["label"] == "positive"
    assert result["entities"] == ["yunque", "yunque-x5"]
    assert "物流配送" in result["topics"] and result["script"] == "zh-Hans"


def test_enriched_reviews_are_found_by_a_segmented_search(enricher, runtime):
    reviews = enricher.enrich([blank(text="这手机真的不好用，屏幕也差", native_id="s1"),
                               blank(text="性价比很高的好手机", native_id="s2")])
    runtime.store.upsert(reviews)
    found = runtime.store.search(ReviewQuery(q=query_terms("不好 屏幕"))).reviews
    assert [r.native_id for r in found] == ["s1"]
    found = runtime.store.search(ReviewQuery(q=query_terms("性價比"))).reviews
    assert [r.native_id for r in found] == ["s2"]
    stored = runtime.store.get(reviews[0].id)
    assert stored.sentiment == reviews[0].sentiment and stored.topics == reviews[0].topics


def test_an_aspect_reads_its_own_clause(enricher):
    review = blank(text="不是不好，就是价格有点贵")
    enricher.enrich([review])
    assert ("价格", "positive") not in review.aspects
    assert any(topic == "价格" for topic, _ in review.aspects)


def test_a_low_star_rating_is_heard(enricher):
    # The issue's example: a 2-star "有待观察，有教程就好了" is a complaint (recipe 7 reads
    # it slightly negative without the stars too); a mild text the model alone reads as no
    # complaint becomes one with a low rating.
    issue = blank(text="有待观察，有教程就好了", rating=2.0)
    rated, unrated = blank(text="东西收到了，用了再说", rating=2.0), \
        blank(text="东西收到了，用了再说")
    enricher.enrich([issue, rated, unrated])
    assert issue.sentiment.label == "negative"
    assert rated.sentiment.label == "negative"
    assert unrated.sentiment.label != "negative"
