import re

import joblib
import numpy as np
import pytest

from nlp.exceptions import ModelLoadError, ModelNotFound
from nlp.normalize import normalize
from nlp.sentiment import DEFAULT_ARTIFACT, SentimentModel


def labels(model, texts):
    return [s.label for s in model.predict([normalize(t).text for t in texts])]


def test_shipped_artifact_loads_with_its_metadata(model):
    assert DEFAULT_ARTIFACT.is_file()
    assert re.fullmatch(r"sentiment-\d{4}\.\d{2}-[0-9a-f]{8}", model.version)
    assert 0 < model.threshold < model.question_threshold < 1
    test_figures = model.meta["figures"]["test"]
    assert test_figures["rows"] > 0 and 0.5 < test_figures["macro_f1"] <= 1
    assert SentimentModel.load() is model  # the shipped model is loaded once per process


def test_negation_flips_the_label(model):
    assert labels(model, ["质量不好", "质量好"]) == ["negative", "positive"]
    assert labels(model, ["客服态度差", "客服态度好"]) == ["negative", "positive"]
    assert labels(model, ["不推荐购买", "推荐购买"]) == ["negative", "positive"]


def test_clear_reviews(model):
    assert labels(model, [
        "用了三天就死机，客服也不理人，退货！",
        "物流很快，手机运行流畅，拍照清晰，非常满意",
        "太垃圾了[怒]",
        "👍👍 好评",
    ]) == ["negative", "positive", "negative", "positive"]


def test_score_is_p_positive_minus_p_negative_and_labels_follow_it(model):
    texts = ["质量不错", "物流很慢", "差评"]
    p = model.probabilities(texts)
    assert np.allclose(p.sum(axis=1), 1.0)
    raw = p[:, 2] - p[:, 0]
    for sentiment, score, neutral in zip(model.predict(texts), raw, p[:, 1]):
        assert -1 <= sentiment.score <= 1
        assert sentiment.score == pytest.approx(score, abs=1e-4)
        assert sentiment.model == model.version
        if sentiment.label != "neutral":
            assert (sentiment.score > 0) == (sentiment.label == "positive")
            assert abs(sentiment.score) >= model.threshold
            assert neutral < model.neutral_threshold


def test_the_shipped_model_has_a_calibrated_neutral_head(model):
    assert model.neutral_head is not None and 0 < model.neutral_threshold < 1
    assert model.meta["three_way"]["dev_macro_f1"] > 0.7
    # Without a neutral head p(neutral) is 0 and the score is the polarity head's 2p - 1.
    binary = SentimentModel(model.pipeline, model.meta)
    assert binary.neutral_threshold is None
    texts = ["质量很好", "太差了"]
    assert np.allclose(binary.probabilities(texts)[:, 1], 0.0)
    assert np.allclose(binary.probabilities(texts)[:, 2] * 2 - 1, model.scores(texts))


def test_plain_statements_are_neutral_and_opinions_are_not(model):
    statements = ["该公司成立于1998年，总部位于北京。", "第二十条 理事会须有三分之二以上理事出席方能召开。"]
    assert labels(model, statements) == ["neutral", "neutral"]
    assert labels(model, ["太好吃了，下次还来", "气死我了，再也不买了"]) == ["positive", "negative"]


def test_texts_without_usable_content_are_neutral(model):
    for sentiment in model.predict(["", "!!!", "...?", "asdfgh qwerty", "12345"]):
        assert (sentiment.label, sentiment.score) == ("neutral", 0.0)


def test_questions_are_a_neutral_cue(model):
    asking = model.predict(["请问这个手机续航怎么样?", "有没有人知道怎么退货"])
    assert [(s.label, s.score) for s in asking] == [("neutral", 0.0), ("neutral", 0.0)]
    # The statements around a question still count.
    assert labels(model, ["太垃圾了,用两天就坏。请问怎么退货?"]) == ["negative"]


@pytest.mark.parametrize("traditional, simplified", [
    ("這個手機質量很好，物流也很快", "这个手机质量很好，物流也很快"),
    ("客服態度太差了，再也不買了", "客服态度太差了，再也不买了"),
    ("電池續航不錯，螢幕很漂亮", "电池续航不错，屏幕很漂亮"),
])
def test_traditional_script_gets_the_same_sentiment(model, traditional, simplified):
    hant, hans = normalize(traditional), normalize(simplified)
    assert hant.script == "zh-Hant"
    assert hant.text == hans.text
    assert model.predict([hant.text]) == model.predict([hans.text])


def test_empty_batch(model):
    assert model.predict([]) == []


def test_missing_artifact(tmp_path):
    with pytest.raises(ModelNotFound, match="nope.joblib"):
        SentimentModel.load(tmp_path / "nope.joblib")


def test_corrupt_artifact(tmp_path):
    path = tmp_path / "broken.joblib"
    path.write_bytes(DEFAULT_ARTIFACT.read_bytes()[:5000])
    with pytest.raises(ModelLoadError, match="broken.joblib"):
        SentimentModel.load(path)


def test_file_that_is_not_a_sentiment_artifact(tmp_path):
    path = tmp_path / "other.joblib"
    joblib.dump({"weights": [1, 2, 3]}, path)
    with pytest.raises(ModelLoadError, match="not a Koubei sentiment artifact"):
        SentimentModel.load(path)


def test_fast_scoring_is_the_pipelines_own(model):
    from nlp.sentiment import linear_parts
    assert linear_parts(model.pipeline) is not None  # the shipped model takes the fast path
    texts = ["质量很好", "太差了，退货", "", "一般般吧[怒]", "物流很快 客服很差😡"]
    expected = 2 * model.pipeline.predict_proba(texts)[:, 1] - 1
    assert np.allclose(model.scores(texts), expected, atol=1e-6)


def test_emoticons_and_emoji_alone_carry_their_polarity(model):
    assert labels(model, ["[怒]", "😡😡", "还行吧😡", "[赞]", "👍"]) == [
        "negative", "negative", "negative", "positive", "positive"]
