"""Brand analytics: /compare, /channels, /cx, /hotwords and their /api routes, on the real
SQLite store, with brand scopes. Two brands: 云雀 (yunque, product yunque-x5) and 华美."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from models.config import EntityConfig, TouchpointStage
from models.runtime import Runtime
from tests.factories import make_review
from tests.web.conftest import PASSWORD, log_in
from web.app import create_app
from web.security import accounts

SHANGHAI = timezone(timedelta(hours=8))
HUAMEI = EntityConfig(id="huamei", name="华美家电", keywords=["华美"])
# the period asked for in these tests: 2026-11-08 to 2026-11-14 (local days), the one before
# is 2026-11-01 to 2026-11-07
PERIOD = "since=2026-11-08&until=2026-11-14"


def day(d: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, d, hour, tzinfo=SHANGHAI)


@pytest.fixture
def brands(runtime):
    stages = [TouchpointStage(stage="物流", topics=["物流配送"]),
              TouchpointStage(stage="下单", topics=[]),
              TouchpointStage(stage="售后", topics=["售后退换", "客服态度"])]
    rt = Runtime(runtime.config.model_copy(update={
        "entities": [*runtime.config.entities, HUAMEI], "touchpoints": stages}),
        runtime.config_path, runtime.home)
    app = create_app(rt, {"TESTING": True})

    def client_for(username, role="analyst", entities=("*",)):
        accounts.add_user(rt.state, username, role, list(entities), PASSWORD)
        client = app.test_client()
        assert log_in(client, username).status_code == 302
        return client
    yield rt.store, client_for
    rt.close()


def reviews(n, **values):
    return [make_review(**values) for _ in range(n)]


@pytest.fixture
def market(brands):
    store, client_for = brands
    store.upsert(
        # this period: 云雀 6 (2 negative), 华美 4 (3 negative), one review mentions both
        reviews(3, entities=["yunque"], published_at=day(9), topics=["物流配送"], rating=5.0)
        + reviews(2, entities=["yunque"], published_at=day(10), label="negative",
                  topics=["售后退换"], rating=1.0)
        + reviews(3, entities=["huamei"], published_at=day(11), label="negative",
                  topics=["售后退换"], rating=2.0)
        + [make_review(entities=["yunque", "huamei"], published_at=day(12), rating=None,
                       topics=["物流配送"])]
        # the period before: 云雀 2 (0 negative), 华美 2 (1 negative)
        + reviews(2, entities=["yunque"], published_at=day(3), rating=4.0)
        + [make_review(entities=["huamei"], published_at=day(4)),
           make_review(entities=["huamei"], published_at=day(5), label="negative")]
        # outside both periods
        + reviews(4, entities=["huamei"], published_at=day(20), label="negative"))
    return store, client_for


def test_compare_two_brands_with_share_of_voice_and_change(market):
    _, client_for = market
    data = client_for("boss").get(f"/api/compare?entity=yunque&entity=huamei&{PERIOD}"
                                  ).get_json()
    yunque, huamei = data["entities"]
    assert (yunque["entity"], yunque["reviews"], huamei["reviews"]) == ("yunque", 6, 4)
    assert yunque["share_of_voice"] == pytest.approx(0.6)
    assert huamei["share_of_voice"] == pytest.approx(0.4)
    assert yunque["negative_share"] == pytest.approx(2 / 6)
    assert huamei["negative_share"] == pytest.approx(3 / 4)
    assert yunque["net_sentiment"] == pytest.approx((4 - 2) / 6)
    assert yunque["rated"] == 5 and yunque["csat"] == pytest.approx(3 / 5)
    assert yunque["previous"]["reviews"] == 2 and huamei["previous"]["reviews"] == 2
    assert yunque["change"]["reviews"] == 4 and yunque["change"]["reviews_pct"] == 2.0
    assert yunque["change"]["share_of_voice"] == pytest.approx(0.6 - 0.5)
    assert huamei["change"]["negative_share"] == pytest.approx(3 / 4 - 1 / 2)
    assert yunque["top_topics"][0] == {"topic": "物流配送", "mentions": 4, "negative": 0}
    assert data["period"]["start"] == day(8, 0).isoformat()
    assert data["previous"]["start"] == day(1, 0).isoformat()
    assert data["interval"] == "day" and len(data["series"]) == 7
    ninth = data["series"][1]
    assert ninth["counts"] == {"yunque": 3, "huamei": 0} and ninth["share"]["yunque"] == 1.0
    twelfth = data["series"][4]
    assert twelfth["share"] == {"yunque": 0.5, "huamei": 0.5}
    assert data["series"][0]["share"] == {"yunque": None, "huamei": None}


def test_compare_keeps_to_the_readers_scope(market):
    _, client_for = market
    handler = client_for("li", "handler", ["yunque"])
    answers = []
    for other in ("huamei", "nosuch"):  # hidden and unknown read alike: passed over
        response = handler.get(f"/api/compare?entity=yunque&entity={other}&{PERIOD}")
        assert response.status_code == 200
        assert "huamei" not in response.get_data(as_text=True)
        answers.append([e["entity"] for e in response.get_json()["entities"]])
    assert answers[0] == answers[1] == ["yunque", "yunque-x5"]  # made up from its own scope
    # the brand against its own product: the review shared with 华美 counts, 华美 never shows
    response = handler.get(f"/api/compare?entity=yunque&entity=yunque-x5&{PERIOD}")
    assert response.status_code == 200
    assert "huamei" not in response.get_data(as_text=True)
    assert [e["reviews"] for e in response.get_json()["entities"]] == [6, 0]
    page = handler.get(f"/compare?{PERIOD}").get_data(as_text=True)
    assert "华美家电" not in page and "云雀 X5" in page  # the default pair is its own two
    for path in ("/api/channels", "/api/cx", "/api/hotwords", "/channels", "/cx"):
        answer = handler.get(f"{path}?entity=huamei")
        assert answer.status_code == 200 and "华美家电" not in answer.get_data(as_text=True), path


def test_compare_needs_two_to_six_entities(market):
    _, client_for = market
    boss = client_for("boss")
    one = boss.get("/api/compare?entity=yunque").get_json()
    assert [e["entity"] for e in one["entities"]][0] == "yunque" and len(one["entities"]) == 2
    assert boss.get("/api/compare?entity=yunque,huamei&range=1y").status_code == 400
    reversed_range = boss.get("/api/compare?entity=yunque,huamei&since=2026-11-09"
                              "&until=2026-11-01").get_json()  # an empty window, as listings
    assert [e["reviews"] for e in reversed_range["entities"]] == [0, 0]
    long = boss.get("/api/compare?entity=yunque,huamei&since=2025-01-01&until=2026-11-01"
                    "&interval=hour").get_json()  # shortened to 400 days, counted by day
    assert long["interval"] == "day" and len(long["series"]) == 400


def test_compare_page_links_each_figure_to_its_reviews(market):
    _, client_for = market
    boss = client_for("boss")
    page = boss.get(f"/compare?entity=yunque&entity=huamei&{PERIOD}").get_data(as_text=True)
    assert 'class="compare-row" data-entity="yunque"' in page
    assert "60.0%" in page and "40.0%" in page  # share of voice, readable without JS
    assert 'id="share-config"' in page
    link = ('/?since=2026-11-08T00:00:00%2B08:00&amp;until=2026-11-15T00:00:00%2B08:00'
            '&amp;entity=huamei&amp;sentiment=negative')
    assert link in page
    feed = boss.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "共 3 条" in feed


def test_english_analytics_pages_name_the_taxonomys_topics_in_english(market):
    _, client_for = market
    boss = client_for("boss")
    compare = boss.get(f"/compare?entity=yunque&entity=huamei&{PERIOD}&lang=en").get_data(
        as_text=True)
    assert ">Returns &amp; repairs 3</a>" in compare and ">售后退换 3</a>" not in compare
    cx = boss.get(f"/cx?entity=yunque&{PERIOD}&lang=en").get_data(as_text=True)
    assert 'topic=%E7%89%A9%E6%B5%81%E9%85%8D%E9%80%81">Delivery</a>' in cx  # link keeps 物流配送
    assert "1. 物流" in cx  # a configured stage name: as written
    feed = boss.get("/?lang=en").get_data(as_text=True)
    assert '<option value="物流配送">Delivery</option>' in feed
    chinese = boss.get(f"/compare?entity=yunque&entity=huamei&{PERIOD}&lang=zh-CN").get_data(
        as_text=True)
    assert ">售后退换 3</a>" in chinese


def test_channels_flag_the_inconsistent_source(brands):
    store, client_for = brands
    store.upsert(
        reviews(30, entities=["yunque"], source="forum", label="negative", published_at=day(9))
        + reviews(10, entities=["yunque"], source="forum", published_at=day(9))
        + reviews(6, entities=["yunque"], source="appstore", label="negative",
                  published_at=day(10))
        + reviews(54, entities=["yunque"], source="appstore", published_at=day(10))
        + reviews(5, entities=["yunque"], source="tiny", label="negative", published_at=day(10)))
    data = client_for("boss").get(f"/api/channels?entity=yunque&{PERIOD}").get_json()
    rows = {c["channel"]: c for c in data["channels"]}
    assert [c["channel"] for c in data["channels"]] == ["appstore", "forum", "tiny"]
    assert data["overall"]["reviews"] == 105
    forum, appstore, tiny = rows["forum"], rows["appstore"], rows["tiny"]
    # forum 30/40 negative against the other channels' 11/65
    pooled = 41 / 105
    z = (30 / 40 - 11 / 65) / math.sqrt(pooled * (1 - pooled) * (1 / 40 + 1 / 65))
    assert forum["significance"]["z"] == pytest.approx(z, abs=1e-3)
    assert forum["significance"]["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert forum["flagged"] and forum["significance"]["direction"] == "higher"
    assert appstore["flagged"] and appstore["significance"]["direction"] == "lower"
    assert not tiny["flagged"]  # 5 reviews: too few to say
    page = client_for("li").get(f"/channels?entity=yunque&{PERIOD}").get_data(as_text=True)
    assert 'class="channel-row flagged" data-channel="forum"' in page
    assert "明显更负面" in page


def test_cx_metrics_and_touchpoints(market):
    _, client_for = market
    data = client_for("boss").get(f"/api/cx?entity=yunque&{PERIOD}").get_json()
    (yunque,) = data["entities"]
    # ratings 5,5,5 (promoters), 1,1 (detractors); one review without a rating
    assert (yunque["rated"], yunque["csat"]) == (5, pytest.approx(0.6))
    assert yunque["promoter_index"] == pytest.approx((3 - 2) / 5 * 100)
    assert yunque["previous"]["csat"] == 1.0 and yunque["previous"]["promoter_index"] == 0.0
    assert data["mapping"]["detractors"] == [0, 1, 2, 3]
    assert data["sources"][0]["source"] == "demo-appstore"
    stages = {s["stage"]: s for s in data["touchpoints"]}
    assert list(stages) == ["物流", "下单", "售后"]  # the configured order
    assert stages["物流"]["reviews"] == 4 and stages["物流"]["negative_share"] == 0
    assert stages["售后"]["reviews"] == 2 and stages["售后"]["negative_share"] == 1
    assert stages["下单"]["reviews"] == 0 and stages["下单"]["series"] == []
    assert sum(b["reviews"] for b in stages["物流"]["series"]) == 4
    ninth = data["series"][1]
    assert (ninth["rated"], ninth["csat"], ninth["sparse"]) == (3, 1.0, True)
    page = client_for("li").get(f"/cx?entity=yunque&{PERIOD}").get_data(as_text=True)
    assert "1. 物流" in page and "未配置话题" in page


def test_hot_words_rise_against_the_period_before_and_link_to_their_reviews(brands):
    store, client_for = brands
    store.upsert(
        reviews(10, entities=["yunque"], keywords=["闪退", "手机"], published_at=day(9))
        + reviews(10, entities=["yunque"], keywords=["手机"], published_at=day(9))
        + reviews(1, entities=["yunque"], keywords=["闪退", "手机"], published_at=day(2))
        + reviews(19, entities=["yunque"], keywords=["手机"], published_at=day(2))
        + reviews(8, entities=["huamei"], keywords=["漏水"], published_at=day(9)))
    data = client_for("boss").get(f"/api/hotwords?entity=yunque&{PERIOD}").get_json()
    assert (data["reviews"], data["previous_reviews"]) == (20, 20)
    assert [w["term"] for w in data["words"]] == ["闪退"]  # 手机 is steady; 漏水 is 华美's
    (word,) = data["words"]
    assert (word["count"], word["previous_count"], word["share"]) == (10, 1, 0.5)
    assert word["g2"] > 10 and word["p_value"] < 0.001
    page = client_for("li").get(f"/hotwords?entity=yunque&{PERIOD}").get_data(as_text=True)
    assert 'class="hotword">闪退</a>' in page
    assert "&amp;entity=yunque&amp;keyword=%E9%97%AA%E9%80%80" in page
    feed = client_for("wu").get("/?entity=yunque&keyword=闪退&since=2026-11-08&until=2026-11-14")
    assert "共 10 条" in feed.get_data(as_text=True)


def test_hot_words_without_a_previous_period_say_so_instead_of_testing_a_rise(brands):
    store, client_for = brands
    store.upsert(reviews(4, entities=["yunque"], keywords=["续航"], published_at=day(9)))
    client = client_for("boss")
    data = client.get(f"/api/hotwords?entity=yunque&{PERIOD}").get_json()
    assert (data["previous_reviews"], [w["term"] for w in data["words"]]) == (0, ["续航"])
    page = client.get(f"/hotwords?entity=yunque&{PERIOD}").get_data(as_text=True)
    assert "上一期没有评论，无从比较升降" in page and "显著上升" not in page
    assert 'class="tag tag-new"' not in page  # nothing is "new" against nothing
    english = client.get(f"/hotwords?entity=yunque&{PERIOD}&lang=en").get_data(as_text=True)
    assert "The previous period has no reviews" in english


def test_pages_start_on_the_first_visible_entities(market):
    _, client_for = market
    boss = client_for("boss")
    for path in ("/compare", "/channels", "/cx", "/hotwords"):
        response = boss.get(path)
        assert response.status_code == 200, path
        assert 'value="yunque" checked' in response.get_data(as_text=True) or \
            'value="yunque" selected' in response.get_data(as_text=True), path
