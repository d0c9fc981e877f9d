import pytest

from nlp.normalize import normalize


@pytest.mark.parametrize("text, expected", [
    ("這個手機質量很好", "这个手机质量很好"),
    ("後來客服還是沒回覆", "后来客服还是没回复"),
    ("ＡＢＣ１２３　很好", "ABC123 很好"),
    ("太差了！！！", "太差了!"),
    ("无语。。。。。", "无语。"),
    ("啥？？？！！", "啥?!"),
    ("好~~~~", "好~"),
    ("看看这个 https://t.cn/A6abc?x=1 真垃圾", "看看这个 真垃圾"),
    ("链接http://example.com/p/1后面的字", "链接 后面的字"),
    ("回复@小明_123:说得对", "说得对"),
    ("@云雀客服 为什么不回", "为什么不回"),
    ("邮箱 a@b.com 联系", "邮箱 a@b.com 联系"),
    ("<p>太差了<br/>退货</p>", "太差了 退货"),
    ("质量&amp;服务&lt;差&gt;", "质量&服务<差>"),
    ('气死<img src="/e/nu.png" alt="[怒]">了', "气死[怒]了"),
    ("a\x00b\x07c\u200bd\ufeffe", "abcde"),
    ("第一行\n第二行\t第三行", "第一行 第二行 第三行"),
])
def test_normalised_text(text, expected):
    assert normalize(text).text == expected


def test_emoticons_and_emoji_are_kept():
    text = normalize("好评[赞][哈哈]👍🏻 家人👨‍👩‍👧 [doge]").text
    for kept in ("[赞]", "[哈哈]", "👍🏻", "👨\u200d👩\u200d👧", "[doge]"):
        assert kept in text


def test_traditional_emoticon_is_simplified():
    assert normalize("[讚]").text == "[赞]"


def test_stray_joiner_is_removed_but_emoji_joiner_kept():
    assert normalize("好\u200d的👩\u200d💻").text == "好的👩\u200d💻"


@pytest.mark.parametrize("text, script", [
    ("這個手機質量很好", "zh-Hant"),
    ("这个手机质量很好", "zh-Hans"),
    ("雲雀X5 不错", "zh-Hant"),
    ("乾隆年间的故事，覆盖面广", "zh-Hans"),  # characters simplified writing shares
    ("great phone", "other"),
    ("👍👍", "other"),
    ("", "other"),
])
def test_script_detection(text, script):
    assert normalize(text).script == script


def test_empty_and_blank_text():
    assert normalize("").text == ""
    assert normalize("   \n\t ").text == ""
    assert normalize("   \n\t ").script == "other"


def test_100k_character_text():
    text = ("這個手機質量很好！！！[怒]😡 http://x.com/a @某人 " * 3000)[:100_000]
    result = normalize(text)
    assert result.script == "zh-Hant"
    assert "http" not in result.text and "@" not in result.text
    assert result.text.startswith("这个手机质量很好![怒]😡 这个手机")
    assert result.text.count("[怒]") == text.count("[怒]")
