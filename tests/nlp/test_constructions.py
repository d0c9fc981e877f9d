"""The construction rules (nlp.constructions) and the hand-written sets that measure them."""
import collections

import pytest

from nlp import constructions
from nlp.normalize import normalize
from nlp.training.evaluation import construction_accuracy, read_constructions


def judge(model, texts, ratings=None):
    return [label for label, _ in model.judge([normalize(t).text for t in texts], ratings)]


def test_double_negation_is_rewritten_before_the_model_reads_it():
    assert constructions.rewrite("不是不好，是真的好用") == "好，是真的好用"
    assert constructions.rewrite("没有不满意的地方") == "满意的地方"
    assert constructions.rewrite("不是一般的差") == "非常差"
    assert constructions.rewrite("就是价格有点贵") == "价格有点贵"
    assert constructions.rewrite("质量不好") == "质量不好"  # one negation stays


def test_sarcasm_kinds():
    assert constructions.sarcasm("这服务真是太“好”了，等了两个小时") == "sure"
    assert constructions.sarcasm("好评个鬼，用了两天就坏了") == "sure"
    assert constructions.sarcasm("呵呵，客服说是我自己弄坏的") == "if-rest-not-positive"
    assert constructions.sarcasm("物流真是太快了，半个月才到") == "if-rest-negative"
    assert constructions.sarcasm("东西很满意 速度很快 呵呵") is None  # a friendly laugh
    assert constructions.sarcasm("买了“小米”手机") is None
    assert constructions.sarcasm("好评个鬼" + "很长的文字" * 20) is None  # long: left to the model


def test_contrast_tail():
    assert constructions.contrast_tail("虽然价格便宜，但是质量太差了") == "质量太差了"
    assert constructions.contrast_tail("颜值很高，然而拍照太糊了") == "拍照太糊了"
    assert constructions.contrast_tail("一开始有点担心，不过用下来很满意") == "用下来很满意"
    assert constructions.contrast_tail("东西不错，不过物流慢") is None  # 不过 needs a concession
    assert constructions.contrast_tail("东西不错，就是物流慢了点") is None
    assert constructions.contrast_tail("一般般，不过不失") is None


def test_hedges():
    assert constructions.hedged("还行吧，中规中矩")
    assert constructions.hedged("一般般，没什么特别的")
    assert not constructions.hedged("还行吧，物流很快")       # praise beside the hedge
    assert not constructions.hedged("还行吧😡")                # the emoji says more
    assert not constructions.hedged("质量很好")


def test_low_stars():
    assert constructions.star_label("positive", 0.85, 2, "有待观察，有教程就好了") == "negative"
    assert constructions.star_label("neutral", 0.1, 1, "还行吧") == "negative"
    assert constructions.star_label("positive", 0.97, 1, "非常好用，很满意") == "positive"  # a slip
    assert constructions.star_label("positive", 0.85, 4, "有待观察") == "positive"
    assert constructions.star_label("neutral", 0.0, None, "还行") == "neutral"


def test_issue_examples(model):
    assert judge(model, ["这服务真是太“好”了，等了两个小时", "还行吧，中规中矩"]) == [
        "negative", "neutral"]
    assert judge(model, ["有待观察…有教程就好了"], [2.0]) == ["negative"]


def test_without_ratings_nothing_changes(model):
    texts = [normalize(t).text for t in ["有待观察…有教程就好了", "质量很好"]]
    assert model.judge(texts) == model.judge(texts, [None, None])


def test_hand_written_sets_are_complete():
    rows = read_constructions()
    counts = collections.Counter(row["construction"] for row in rows)
    assert set(counts) == {"sarcasm", "contrast", "negation", "hedged", "stars"}
    assert min(counts.values()) >= 50
    assert {row["label"] for row in rows} <= {"negative", "neutral", "positive"}
    assert all(row["stars"] is not None for row in rows if row["construction"] == "stars")


@pytest.mark.parametrize("construction", ["sarcasm", "contrast", "negation", "hedged", "stars"])
def test_each_construction_is_read_right_mostly(model, construction):
    rows = [row for row in read_constructions() if row["construction"] == construction]
    n, accuracy = construction_accuracy(model, rows)[construction]
    assert accuracy >= 0.85, f"{construction}: {accuracy:.3f} of {n}"


def test_a_face_beside_a_hedge_says_which_way_it_leans():
    from nlp.constructions import hedge_leaning
    assert hedge_leaning("还行吧😡") == "negative"
    assert hedge_leaning("一般般[怒]") == "negative"
    assert hedge_leaning("还行[赞]") == "positive"
    assert hedge_leaning("还行吧") is None            # a bare hedge: neutral, as before
    assert hedge_leaning("还行吧😡👍") is None        # faces both ways
    assert hedge_leaning("还行吧，就是太贵了😡") is None  # words beside it: the model reads it
    assert hedge_leaning("质量很好😡") is None        # no hedge
