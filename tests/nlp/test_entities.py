from models.config import EntityConfig
from nlp.entities import EntityMatcher

XIAOMI = [
    EntityConfig(id="xiaomi", name="小米", keywords=["小米"], aliases=["Xiaomi", "MI"],
                 exclude=["小米粥", "小米椒"]),
    EntityConfig(id="xiaomi-14", name="小米 14", kind="product", parent="xiaomi",
                 keywords=["小米14"], aliases=["Mi14"]),
    EntityConfig(id="redmi", name="红米", kind="product", parent="xiaomi",
                 keywords=["红米"], aliases=["Redmi"]),
]


def test_exclusion_covers_the_occurrence():
    matcher = EntityMatcher(XIAOMI)
    assert matcher.match("早上喝了一碗小米粥") == []
    assert matcher.match("小米椒太辣") == []
    assert matcher.match("喝着小米粥用小米手机") == ["xiaomi"]


def test_product_implies_parent_brand():
    matcher = EntityMatcher(XIAOMI)
    assert matcher.match("红米的信号不行") == ["redmi", "xiaomi"]
    assert matcher.match("小米14续航一般") == ["xiaomi", "xiaomi-14"]


def test_latin_terms_are_case_insensitive_whole_words():
    matcher = EntityMatcher(XIAOMI)
    assert matcher.match("xiaomi yyds") == ["xiaomi"]
    assert matcher.match("REDMI note") == ["redmi", "xiaomi"]
    assert matcher.match("mi14 great") == ["xiaomi-14", "xiaomi"]
    assert matcher.match("my MINI cooper and a MIX") == []
    assert matcher.match("我的MI手机") == ["xiaomi"]


def test_demo_config_entities(demo_config):
    matcher = EntityMatcher(demo_config.entities)
    assert matcher.match("云雀x5太卡了") == ["yunque", "yunque-x5"]
    assert matcher.match("早上听到云雀叫") == []
    assert matcher.match("x50 不是我们的") == []


def test_no_entities():
    assert EntityMatcher([]).match("任何文字") == []
