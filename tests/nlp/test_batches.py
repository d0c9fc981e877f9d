"""Every stage runs over a whole batch at once (texts joined by a separator); a text's result
must not depend on its neighbours, nor on a separator character inside a text."""
import gc
import re

import pytest

from nlp.aspects import clauses
from nlp.enrich import Enricher, analysis_dict
from nlp.flags import Flagger
from nlp.keywords import keywords, keywords_many
from nlp.memo import Memo
from nlp.normalize import normalize, normalize_many
from nlp.patterns import literal_alternation, texts_matching
from nlp.segment import Segmenter
from nlp.topics import default_taxonomy

RAW = [
    "物流很快，但是质量太差了！！！[怒]", "", "   ", "這個手機的螢幕很好，但是電池續航太差了",
    "<p>质量很好</p><img src=x alt=\"[赞]\">&amp;快", "请问续航怎么样？", "手机不错。请问续航怎么样?",
    "代购正品超好 加微信 abc12345", "http://a.com http://b.com 好", "很好👍，就是贵💔 👨‍👩‍👧",
    "RS-MMC卡 2-3天 C++ 50%", "回复@张三: 说得对，质量很差", "ＡＢＣ１２３！！！。。。",
    "食物中毒 315 3150", "İstanbul 贵 脏了 很脏", "私用区\ue000字符 质量好", "带\x00NUL的 物流快",
    "太贵", "Great product", "质量\n\n很好\t物流快",
]


@pytest.fixture(scope="module")
def segmenter():
    return Segmenter()


def test_normalize_many_is_normalize_of_each():
    assert normalize_many(RAW + [None]) == [normalize(t) for t in RAW + [None]]
    assert normalize_many(["好", "\ue000"])[1] == normalize("\ue000")
    assert normalize_many([]) == []


def test_cut_many_is_cut_of_each(segmenter):
    texts = [normalize(t).text for t in RAW] + ["带\x00NUL", "[赞][赞]好评"]
    assert segmenter.cut_many(texts) == [segmenter.cut(t) for t in texts]
    assert segmenter.segment_many(texts) == [segmenter.segment_with_starts(t) for t in texts]
    assert segmenter.cut_many([]) == []


def test_search_tokens_and_keywords_of_a_batch(segmenter):
    lists = [segmenter.segment(normalize(t).text) for t in RAW]
    assert segmenter.search_tokens_many(lists) == [segmenter.search_tokens(t) for t in lists]
    assert keywords_many(lists) == [keywords(t) for t in lists]


def test_topic_matches_of_a_batch(segmenter):
    texts = [normalize(t).text for t in RAW]
    cut = [segmenter.segment_with_starts(t) for t in texts]
    taxonomy = default_taxonomy()
    batch = taxonomy.matches_many(texts, lambda i: cut[i][1])
    assert batch == [taxonomy.matches(t, w, s) for t, (w, s) in zip(texts, cut)]
    assert any(batch)  # the examples do name topics


def test_flags_of_a_batch():
    flagger = Flagger()
    originals = [t or "" for t in RAW]
    texts = [normalize(t).text for t in RAW]
    batch = flagger.flags_many(originals, texts)
    assert batch == [flagger.flags(o, t) for o, t in zip(originals, texts)]
    assert ["spam"] in batch and any("crisis:食物中毒" in flags for flags in batch)


def test_texts_matching_maps_matches_back_to_texts():
    texts = ["abc", "", "xbx", "B"]
    assert texts_matching(re.compile("b"), texts) == {0, 2}
    assert texts_matching(re.compile("b"), texts, lower=True) == {0, 2, 3}
    assert texts_matching(re.compile("z"), texts) == set()


def test_literal_alternation_matches_like_the_plain_alternation():
    phrases = ["物超所值", "物流", "质量", "质感", "快递员", "快递"]
    plain = re.compile("|".join(phrases))
    grouped = literal_alternation(phrases)
    text = "物流快，物超所值，快递员说质量质感都好，快递"
    assert [m.span() for m in grouped.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_clause_breaks():
    assert clauses("物流很快但是质量太差") == ["物流很快", "质量太差"]
    assert clauses("但愿好用，不过一般。。可是 还行!") == ["但愿好用", "一般", "还行"]
    assert clauses("但凡有点良心，但 也就这样") == ["但凡有点良心", "也就这样"]


def test_judge_is_predict_without_records(model):
    texts = [normalize(t).text for t in RAW]
    assert [(s.label, s.score) for s in model.predict(texts)] == model.judge(texts)


def test_a_text_gets_the_same_analysis_alone_and_in_a_batch(model):
    enricher = Enricher(model=model)
    together = [analysis_dict(a) for a in enricher.analyse(RAW, titles=["差评"] * 3)]
    alone = [analysis_dict(enricher.analyse([t], titles=["差评"] if i < 3 else [])[0])
             for i, t in enumerate(RAW)]
    assert together == alone


def test_enrichment_leaves_the_garbage_collector_as_it_found_it(enricher):
    from tests.factories import make_review
    enricher.enrich([make_review(text="质量很好")])
    assert gc.isenabled()
    gc.disable()
    try:
        enricher.enrich([make_review(text="质量很好")])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_memo_computes_once_and_stays_bounded():
    calls = []
    memo = Memo(lambda key: calls.append(key) or key * 2, size=2)
    assert [memo[k] for k in (1, 2, 1)] == [2, 4, 2] and calls == [1, 2]
    assert memo[3] == 6 and len(memo) == 1  # full: started afresh


def test_two_spellings_of_a_keyword_add_up():
    # yyds (idf ~12) twice outweighs 快递 (idf ~10) twice only if YYDS and yyds are one word.
    assert keywords(["快递", "快递", "YYDS", "yyds"]) == ["yyds", "快递"]
