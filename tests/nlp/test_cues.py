import numpy as np
import pytest

from nlp.cues import COLUMNS, NgramsWithCues, SentimentCues, cue_counts


def counts(text):
    return dict(zip(COLUMNS, cue_counts(text)))


def nonzero(text):
    return {name: value for name, value in counts(text).items() if value}


@pytest.mark.parametrize("text, expected", [
    ("质量好", {"positive": 1}),
    ("质量不好", {"negated_positive": 1}),
    ("没有想象中好", {"negated_positive": 1}),         # the negator reaches over 想象中
    ("不是很满意", {"negated_positive": 1}),
    ("一点也不差", {"negated_negative": 1}),
    ("不错", {"positive": 1}),                         # a word of its own, not 不 + 错
    ("没问题", {"positive": 1}),
])
def test_negation_scope(text, expected):
    assert nonzero(text) == expected


def test_negation_stops_at_the_clause_and_at_its_first_word():
    assert nonzero("不，很好") == {"positive": 1.5}
    assert nonzero("不好，也不满") == {"negated_positive": 1, "negative": 1}  # 不满 is a word
    assert nonzero("不太满意但是很漂亮") == {"negated_positive": 1, "positive": 1.5,
                                        "positive_after_contrast": 1.5}
    assert nonzero("没有什么特别的地方让人觉得好") == {"positive": 1}  # too far away


def test_what_follows_the_last_contrast_counts_again():
    assert nonzero("物流很快但是质量太差") == {"positive": 1, "negative": 1.5,
                                          "negative_after_contrast": 1.5}
    assert nonzero("便宜，不过太差，但是客服热情") == {
        "positive": 2, "negative": 1.5, "positive_after_contrast": 1}


def test_intensifiers_and_softeners():
    assert nonzero("非常满意") == {"positive": 1.5}
    assert nonzero("有点贵") == {"negative": 0.5}
    assert nonzero("好贵") == {"negative": 1.5}       # 好 before a lexicon word intensifies


@pytest.mark.parametrize("text", ["好像到了", "差不多吧", "出差住的", "贵宾楼", "不好意思打扰", "香港酒店"])
def test_words_that_only_look_like_cues(text):
    assert nonzero(text) == {}


def test_block_is_log_counts_of_the_text_the_model_reads():
    block = SentimentCues(scale=0.5).fit([]).transform(["质量好", "太垃圾了[怒]", ""])
    assert block.shape == (3, len(COLUMNS))
    dense = block.toarray()
    assert dense[0].tolist() == pytest.approx([0.5 * np.log(2), 0, 0, 0, 0, 0])
    # [怒] is read as [怒]差评 (nlp.features.model_text): two negative words, 垃圾 intensified
    assert dense[1][1] == pytest.approx(0.5 * np.log1p(2.5))
    assert not dense[2].any()


def test_ngrams_with_cues_appends_the_block():
    texts = ["质量很好", "质量太差", "物流很快但是质量太差", "客服不错"] * 3
    features = NgramsWithCues((1, 3), 2, cue_scale=0.5).fit(texts)
    matrix = features.transform(texts[:3])
    n_grams = len(features.ngrams_.codes_)
    assert matrix.shape == (3, n_grams + len(COLUMNS))
    assert (matrix[:, n_grams:].toarray() == SentimentCues(0.5).fit([]).transform(
        texts[:3]).toarray()).all()
    assert list(features.get_feature_names_out()[-len(COLUMNS):]) == [
        f"cue:{c}" for c in COLUMNS]


def test_batch_counts_equal_the_per_text_reading():
    from nlp.cues import cue_matrix
    texts = ["质量好", "质量不好", "没有想象中好", "不是很满意", "物流很快但是质量太差", "好贵", "",
             "不，很好", "不好，也不满", "便宜，不过太差，但是客服热情", "有点贵但是非常满意", "好好像",
             "很不好", "不很好", "没有什么特别的地方让人觉得好", "差不多吧，好评", "好好好", "不不不好",
             "但是", "不", "不错不错！赞", "一点也不差但是有点贵，不过还行吧", "hello world"]
    mixed = texts + ["，".join(texts[i:i + 3]) for i in range(len(texts))]
    assert cue_matrix(mixed).tolist() == [cue_counts(t) for t in mixed]
