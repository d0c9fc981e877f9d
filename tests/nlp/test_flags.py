import pytest

from nlp.flags import Flagger
from nlp.normalize import normalize


@pytest.fixture(scope="module")
def flagger():
    return Flagger()


def flags_of(flagger, text):
    return flagger.flags(text, normalize(text).text)


@pytest.mark.parametrize("text, expected", [
    ("孩子吃了以后食物中毒，已经去医院", ["crisis:食物中毒"]),
    ("充电的时候手机爆炸了！要去315曝光", ["crisis:爆炸", "crisis:315", "crisis:曝光"]),
    ("已經發了律師函", ["crisis:律师函"]),  # traditional script
    ("这个价格3150元太贵了", []),           # 315 only as a whole number
    ("手机很好用，物流也快", []),
])
def test_crisis_terms(flagger, text, expected):
    assert flags_of(flagger, text) == expected


@pytest.mark.parametrize("text", [
    "专业代购，加微信abc12345",
    "需要的加V：qwe123456",
    "加qq 2233445566 领福利",
    "兼职刷单日结，详情看 http://a.example/x",
    "好货 http://a.example/1 http://b.example/2",
    "＋ＶＸ看主页",
    "QQ 123456789 联系",          # a handle needs no 加 in front (missed before)
    "扣扣 987654321 咨询",
])
def test_spam(flagger, text):
    assert "spam" in flags_of(flagger, text)


@pytest.mark.parametrize("text", [
    "不是代购的正品，很满意",
    "客服说会加急处理",
    "微波炉加热很快",
    "官网链接 http://a.example/help 里有说明",
    "客服让我加微信处理售后，结果一直不回，差评",  # complaints that mention a contact
    "有同样问题的私信我一起维权",
    "qq音乐会员自动续费了也不提醒",
])
def test_not_spam(flagger, text):
    assert "spam" not in flags_of(flagger, text)


def test_custom_crisis_terms():
    flagger = Flagger(crisis_terms=["断货", "X5爆"])
    assert flagger.crisis(normalize("又断货了，x5爆了").text) == ["crisis:断货", "crisis:x5爆"]
    assert Flagger(crisis_terms=[]).crisis("爆炸") == []
