import jieba

from models.loader import parse_config
from nlp.segment import Segmenter, query_terms, segment
from web.runtime import PLUGINS


def test_slang_words_stay_whole():
    tokens = segment("这次又踩雷了，纯纯智商税，还不如拔草")
    for word in ("踩雷", "智商税", "拔草"):
        assert word in tokens


def test_emoticons_and_emoji_are_single_tokens():
    tokens = segment("气死了[怒][怒]😡👍🏻")
    assert tokens == ["气死", "了", "[怒]", "[怒]", "😡", "👍🏻"]


def test_no_whitespace_tokens():
    assert all(t.strip() for t in segment("  很 好   用 \n 的  "))
    assert segment("") == []


def test_entity_words_from_config_stay_whole():
    config = parse_config(
        "entities:\n"
        "  - {id: jiujiu, name: 啾啾鸟音箱, keywords: [啾啾鸟], aliases: [啾啾鳥, JJ-Bird]}\n",
        PLUGINS, "entities.yaml")
    entity = config.entities[0]
    segmenter = Segmenter(extra_words=[*entity.keywords, *entity.aliases])
    assert "啾啾鸟" in segmenter.segment("买了啾啾鸟音箱")
    assert "啾啾鸟" not in Segmenter().segment("买了啾啾鸟音箱")


def test_extra_words_are_normalised_and_private():
    segmenter = Segmenter(extra_words=["雲雀手機", "two words"])
    assert segmenter.extra_words == ("云雀手机",)
    assert "云雀手机" in segmenter.segment("这台云雀手机不错")
    # Neither the shared tokenizer nor jieba's global one learnt the word.
    assert "云雀手机" not in segment("这台云雀手机不错")
    assert "云雀手机" not in jieba.dt.FREQ


def test_search_tokens_add_words_inside_long_words():
    segmenter = Segmenter()
    tokens = segmenter.search_tokens(["屏幕", "不好用", "，", "YYDS", "[怒]"])
    assert tokens[:3] == ["屏幕", "不好用", "不好"]
    assert "，" not in tokens
    assert "yyds" in tokens and "[怒]" in tokens


def test_query_terms():
    assert query_terms("手机的质量！！") == "手机 质量"
    assert query_terms("  踩雷  ") == "踩雷"
    assert query_terms("質量") == "质量"
    assert query_terms("YYDS") == "yyds"
    assert query_terms("！！？") == ""
    assert query_terms("的") == "的"  # only filler words: keep them rather than search nothing


def test_query_terms_match_search_tokens_of_a_longer_text():
    segmenter = Segmenter()
    tokens = set(segmenter.search_tokens(segmenter.segment("这手机真的不好用，屏幕也差")))
    for term in query_terms("不好 屏幕").split():
        assert term in tokens


def test_word_positions_follow_the_text():
    text = "物流 很快[赞]RS-MMC 👍🏻但是\n质量差"
    words, starts = Segmenter().segment_with_starts(text)
    assert words == segment(text)
    assert [text[s:s + len(w)] for w, s in zip(words, starts)] == words
