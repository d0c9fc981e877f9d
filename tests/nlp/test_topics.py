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
