import pytest

from nlp.topics import Taxonomy, default_taxonomy, topics_for


def test_several_topics_in_taxonomy_order():
    assert topics_for("快递太慢了，客服也不理人，电池续航还行") == ["物流配送", "客服态度", "电池续航"]


def test_single_character_keyword_needs_a_whole_token():
    assert "价格" in topics_for("东西太贵了")
    assert "价格" in topics_for(["东西", "贵", "了"])
    assert "价格" not in topics_for("宝贵的经验")
    assert "价格" not in topics_for(["贵州", "的", "朋友"])


def test_token_list_input():
    assert topics_for(["包装", "破损", "严重"]) == ["产品质量", "包装"]


def test_no_topic():
    assert topics_for("") == []
    assert topics_for("哈哈哈") == []


def test_entity_topics_extend_the_taxonomy():
    extended = default_taxonomy().extended({"拍照": ["夜景", "长焦"], "电池续航": ["掉电快"]})
    assert extended.topics_for("夜景拍得真清楚") == ["拍照"]
    assert "拍照" not in default_taxonomy().topics
    assert topics_for("夜景模式不错", extra={"拍照": ["夜景"]}) == ["拍照"]


def test_keywords_are_normalised():
    taxonomy = Taxonomy({"退款": ["退錢"]})
    assert taxonomy.topics_for("快点退钱") == ["退款"]


def test_clause_spans_follow_the_text():
    from nlp.aspects import clause_spans, clauses
    text = "屏幕很好看, 但是续航太差了!不过价格便宜 "
    spans = clause_spans(text)
    assert [text[a:b] for a, b in spans] == ["屏幕很好看", "续航太差了", "价格便宜"]
    assert [text[a:b] for a, b in spans] == clauses(text)


def test_matches_give_positions_in_taxonomy_order():
    from nlp.segment import Segmenter
    text = "客服很好,东西太贵了"
    words, starts = Segmenter().segment_with_starts(text)
    found = default_taxonomy().matches(text, words, starts)
    assert sorted((p, t) for p, _, t in found) == [(0, "客服态度"), (7, "价格")]


def test_matches_need_a_whole_token_for_one_character_keywords():
    from nlp.segment import Segmenter
    segmenter = Segmenter()
    for text, expected in (("东西太贵了", ["价格"]), ("宝贵的经验", []), ("贵", ["价格"]),
                           ("有点 贵 !", ["价格"]), ("贵州的朋友", [])):
        words, starts = segmenter.segment_with_starts(text)
        assert [t for _, _, t in default_taxonomy().matches(text, words, starts)] == expected, text


def _industry_topics(industry, text):
    from nlp.normalize import normalize
    from nlp.segment import default_segmenter, starts_of
    from nlp.topics import industry_taxonomy
    norm = normalize(text).text
    cut = default_segmenter().cut_many([norm])[0]
    return {t for _, _, t in industry_taxonomy(industry).matches(norm, (), starts_of(cut, norm))}


def test_industry_taxonomies_on_the_hand_checked_examples():
    import csv
    from pathlib import Path
    path = Path(__file__).with_name("data") / "industry_topics.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        found = _industry_topics(row["industry"], row["text"])
        assert set(filter(None, row["topics"].split("|"))) <= found, row
        assert not found & set(filter(None, row["absent"].split("|"))), row


def test_every_configurable_industry_has_a_taxonomy():
    import typing

    from models.config import EntityConfig
    from nlp.topics import INDUSTRY_TOPICS, default_taxonomy, industry_taxonomy
    allowed = typing.get_args(typing.get_args(EntityConfig.model_fields["industry"].annotation)[0])
    assert set(allowed) == set(INDUSTRY_TOPICS)
    assert industry_taxonomy(None) is default_taxonomy() is industry_taxonomy("general")


def test_entity_industry_is_validated():
    from pydantic import ValidationError

    from models.config import EntityConfig
    assert EntityConfig(id="p", name="云雀", keywords=["云雀"]).industry is None
    assert EntityConfig(id="p", name="云雀", keywords=["云雀"], industry="electronics").industry \
        == "electronics"
    with pytest.raises(ValidationError):
        EntityConfig(id="p", name="云雀", keywords=["云雀"], industry="spaceships")


def test_a_phone_brand_gets_no_hygiene_topic_for_clean(model):
    from models.config import EntityConfig
    from nlp.enrich import Enricher
    from tests.factories import make_review
    phone = EntityConfig(id="yunque", name="云雀", keywords=["云雀"], industry="electronics",
                         topics={"夜景": ["夜景模式"]})
    enricher = Enricher([phone], model=model, crisis_terms=[])
    about = make_review(text="云雀的夜景模式很干净，屏幕也清楚", entities=[], sentiment=None,
                        topics=[], keywords=[], tokens=[], text_norm="", script="other")
    other = make_review(text="房间很干净", entities=[], sentiment=None, topics=[], keywords=[],
                        tokens=[], text_norm="", script="other")
    enricher.enrich([about, other])
    assert "卫生安全" not in about.topics
    assert {"拍照影像", "屏幕显示", "夜景"} <= set(about.topics)
    assert "卫生安全" in other.topics  # a review not about the phone keeps the general taxonomy
