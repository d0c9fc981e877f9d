"""Trends: /api/trends buckets and the /trends page."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from models.loader import parse_config
from models.runtime import DEMO_CONFIG, Runtime
from models.store import ReviewQuery
from tests.factories import make_review
from tests.web.conftest import PASSWORD, log_in
from web.app import create_app
from web.runtime import PLUGINS
from web.security import accounts
from web.trend_series import edges_between, series_over, store_step

SHANGHAI = timezone(timedelta(hours=8))


def at(local: str) -> datetime:
    """A Shanghai wall-clock time such as "2026-11-02 10:15"."""
    return datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)


@pytest.fixture
def burst(store):
    store.upsert([
        make_review(published_at=at("2026-11-02 09:10"), label="positive"),
        make_review(published_at=at("2026-11-02 10:05"), label="negative"),
        make_review(published_at=at("2026-11-02 10:30"), label="negative"),
        make_review(published_at=at("2026-11-02 10:59"), label="neutral"),
        make_review(published_at=at("2026-11-02 10:40"), label="positive", source="forum"),
        make_review(published_at=at("2026-11-02 11:00"), label="negative", source="forum",
                    entities=["yunque", "yunque-x5"]),
        make_review(published_at=at("2026-11-01 23:30"), label="negative"),  # another local day
        make_review(published_at=at("2026-11-02 00:30"), label="positive"),
        make_review(published_at=at("2026-10-20 12:00"), label="negative"),  # outside 7 days
    ])


def bucket(data: dict, local_start: str) -> dict:
    for b in data["buckets"]:
        if b["local_start"] == at(local_start).isoformat():
            return b
    starts = [b["local_start"] for b in data["buckets"]]
    raise AssertionError(f"no bucket at {local_start}: {starts}")


def test_hourly_buckets_count_by_sentiment(client, burst):
    data = client.get("/api/trends?range=24h&until=2026-11-02T11:20").get_json()
    assert data["interval"] == "hour" and data["group_by"] == "sentiment"
    assert len(data["buckets"]) == 24
    assert data["buckets"][-1]["local_start"] == at("2026-11-02 11:00").isoformat()
    assert data["end"] == at("2026-11-02 12:00").astimezone(timezone.utc).isoformat()
    ten = bucket(data, "2026-11-02 10:00")
    assert ten["counts"] == {"negative": 2, "neutral": 1, "positive": 1}
    assert ten["total"] == 4
    assert ten["negative_share"] == pytest.approx(0.5)
    assert ten["net_sentiment"] == pytest.approx((1 - 2) / 4)
    assert bucket(data, "2026-11-02 11:00")["counts"] == {"negative": 1}
    assert bucket(data, "2026-11-02 09:00")["net_sentiment"] == pytest.approx(1.0)
    empty = bucket(data, "2026-11-02 08:00")
    assert empty["total"] == 0
    assert empty["negative_share"] is None and empty["net_sentiment"] is None
    assert sum(b["total"] for b in data["buckets"]) == 8  # all but the one from October
    assert data["keys"] == ["negative", "neutral", "positive"]


def test_daily_buckets_follow_local_midnight(client, burst):
    data = client.get("/api/trends?range=7d&until=2026-11-02T12:00").get_json()
    assert data["interval"] == "day" and len(data["buckets"]) == 7
    # 23:30 on the 1st and 00:30 on the 2nd are the same UTC day but different local days
    assert bucket(data, "2026-11-01 00:00")["counts"] == {"negative": 1}
    assert bucket(data, "2026-11-02 00:00")["total"] == 7
    assert data["buckets"][0]["local_start"] == at("2026-10-27 00:00").isoformat()


def test_group_by_source_and_entity_filter(client, burst):
    data = client.get("/api/trends?group_by=source&until=2026-11-02T11:20").get_json()
    assert bucket(data, "2026-11-02 10:00")["counts"] == {"demo-appstore": 3, "forum": 1}
    assert bucket(data, "2026-11-02 10:00")["sentiment"]["negative"] == 2
    assert data["keys"] == ["demo-appstore", "forum"]
    only_x5 = client.get("/api/trends?entity=yunque-x5&until=2026-11-02T11:20").get_json()
    assert sum(b["total"] for b in only_x5["buckets"]) == 1
    by_entity = client.get("/api/trends?group_by=entity&until=2026-11-02T11:20").get_json()
    assert bucket(by_entity, "2026-11-02 11:00")["counts"] == {"yunque": 1, "yunque-x5": 1}


@pytest.mark.parametrize("query, parameter", [
    ("range=1y", "range"), ("interval=minute", "interval"), ("group_by=author", "group_by"),
    ("until=soon", "until"),
])
def test_bad_trend_parameters(client, query, parameter):
    response = client.get(f"/api/trends?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == parameter


def test_trends_page_draws_bars_and_table(client, burst):
    response = client.get("/trends?until=2026-11-02T11:20")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    # negatives at 10:00, 11:00 and 23:00 the day before
    assert body.count('<rect class="bar bar-negative"') == 3
    assert body.count('<rect class="bar bar-positive"') == 3
    assert 'text-anchor="end">2</text>' in body and ">0.5<" not in body  # count axis
    assert "<title>11-02 10:00 · 负面 2</title>" in body
    assert '<td class="count-negative">2</td>' in body
    assert "50.0%" in body and "-0.25" in body
    english = client.get("/trends?until=2026-11-02T11:20&lang=en").get_data(as_text=True)
    assert "Negative share" in english and "Net sentiment" in english


def test_trends_page_daily_range(client, burst):
    body = client.get("/trends?range=30d&until=2026-11-02").get_data(as_text=True)
    table = body[body.index('<table class="trend-table">'):]
    assert table.count("<tr") == 31  # header + 30 days
    assert '<time datetime="2026-10-19T16:00:00+00:00">2026-10-20</time>' in body


def test_half_hour_timezone_buckets(home, store):
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace("timezone: Asia/Shanghai",
                                                           "timezone: Asia/Kolkata")
    runtime = Runtime(parse_config(text, PLUGINS, "kolkata.yaml"), DEMO_CONFIG, home)
    kolkata = timezone(timedelta(hours=5, minutes=30))
    store.upsert([make_review(published_at=datetime(2026, 11, 2, 9, 10, tzinfo=kolkata)),
                  make_review(published_at=datetime(2026, 11, 2, 9, 50, tzinfo=kolkata)),
                  make_review(published_at=datetime(2026, 11, 2, 10, 5, tzinfo=kolkata))])
    client = create_app(runtime, {"TESTING": True}).test_client()
    accounts.add_user(runtime.state, "reader", "analyst", ["*"], PASSWORD)
    log_in(client, "reader")
    data = client.get("/api/trends?until=2026-11-02T10:30").get_json()
    totals = {b["local_start"]: b["total"] for b in data["buckets"] if b["total"]}
    assert totals == {"2026-11-02T09:00:00+05:30": 2, "2026-11-02T10:00:00+05:30": 1}
    runtime.close()


def test_chart_count_ticks_are_whole_numbers():
    from web.chart import nice_ceiling
    assert [nice_ceiling(n) for n in (0, 1, 2, 3, 6, 11, 21, 99, 101)] == \
        [1, 1, 2, 5, 10, 20, 50, 100, 200]


def test_topic_table_compares_negative_mentions_with_the_period_before(client, store):
    store.upsert([
        make_review(published_at=at("2026-11-02 10:05"), label="negative", topics=["物流配送"]),
        make_review(published_at=at("2026-11-02 10:20"), label="negative",
                    topics=["物流配送", "客服态度"]),
        make_review(published_at=at("2026-11-02 10:40"), label="positive", topics=["物流配送"]),
        make_review(published_at=at("2026-11-01 10:00"), label="negative", topics=["客服态度"]),
        make_review(published_at=at("2026-11-01 11:00"), label="negative", topics=["客服态度"]),
    ])
    page = client.get("/trends?range=24h&until=2026-11-02T12:00:00%2B08:00").get_data(
        as_text=True)
    rows = re.findall(r'<tr class="topic-row">\s*<th scope="row"><span class="tag tag-topic">'
                      r'([^<]+)</span></th>\s*<td>(\d+)</td><td class="count-negative">(\d+)'
                      r'</td><td>[^<]*</td>\s*<td>(\d+)</td><td class="[a-z]*">([+-]\d+)</td>',
                      page)
    assert rows == [("物流配送", "3", "2", "0", "+2"), ("客服态度", "1", "1", "2", "-1")]
    link = re.search(r'href="(/\?topic=[^"]+)"', page)[1]
    feed = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert feed.count('class="review') >= 2 and "话题：物流配送" in feed
    config = json.loads(re.search(r'id="feed-config">([^<]+)<', feed)[1])
    assert "topic=" in config["pollUrl"]  # live updates keep the topic filter


def test_any_date_range_with_the_period_before(client, burst):
    data = client.get("/api/trends?since=2026-11-01&until=2026-11-02").get_json()
    assert data["range"] == "custom" and data["interval"] == "hour"  # 2 days: hourly
    assert datetime.fromisoformat(data["start"]) == at("2026-11-01 00:00")
    assert datetime.fromisoformat(data["end"]) == at("2026-11-03 00:00")
    assert sum(b["total"] for b in data["buckets"]) == 8
    daily = client.get("/api/trends?since=2026-10-01&until=2026-11-02&interval=day").get_json()
    assert len(daily["buckets"]) == 33 and sum(b["total"] for b in daily["buckets"]) == 9
    body = client.get("/trends?since=2026-11-02&until=2026-11-02").get_data(as_text=True)
    totals = re.search(r'<table class="period-totals".*?</table>', body, re.S)[0]
    cells = re.findall(r"<td>(.*?)</td>", totals)
    assert cells[:3] == ["7", "42.9%", "+0.00"]  # 2 Nov: 3 negative, 3 positive of 7
    assert cells[3:6] == ["1", "100.0%", "-1.00"]  # 1 Nov: one negative review
    assert "+6" in totals and "+600.0%" in totals


def test_buckets_under_the_minimum_volume_are_sparse(client, burst):
    data = client.get("/api/trends?range=24h&until=2026-11-02T11:20").get_json()
    assert data["min_ratio_volume"] == 5
    ten = bucket(data, "2026-11-02 10:00")
    assert ten["total"] == 4 and ten["sparse"] is True
    body = client.get("/trends?range=24h&until=2026-11-02T11:20").get_data(as_text=True)
    assert "dot-sparse" in body
    config = json.loads(re.search(r'id="trend-config">(.*?)</script>', body, re.S)[1])
    negative_share = config["series"][3]
    assert negative_share["filter"] == {"sentiment": "negative"}
    assert all(v is None for v in negative_share["values"])  # no bucket has 5 reviews
    assert config["series"][0]["values"][-2:] == [2, 1]
    assert config["links"][-2]["since"] == at("2026-11-02 10:00").isoformat()


def test_a_90_day_preset_and_bad_ranges(client, burst):
    data = client.get("/api/trends?range=90d&until=2026-11-02T12:00").get_json()
    assert data["interval"] == "day" and len(data["buckets"]) == 90
    empty = client.get("/api/trends?since=2026-11-03&until=2026-11-02").get_json()
    assert [b["total"] for b in empty["buckets"]] in ([], [0])  # an empty window, as listings
    long = client.get("/api/trends?since=2025-01-01&until=2026-11-02&interval=hour").get_json()
    assert long["interval"] == "day" and len(long["buckets"]) == 400  # 400 days, by day


def _client_in(zone: str, home):
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace("timezone: Asia/Shanghai",
                                                           f"timezone: {zone}")
    runtime = Runtime(parse_config(text, PLUGINS, f"{zone}.yaml"), DEMO_CONFIG, home)
    client = create_app(runtime, {"TESTING": True}).test_client()
    accounts.add_user(runtime.state, "reader", "analyst", ["*"], PASSWORD)
    log_in(client, "reader")
    return runtime, client


def test_daily_buckets_of_a_utc_deployment(home, store, burst):
    runtime, client = _client_in("UTC", home)
    data = client.get("/api/trends?range=7d&until=2026-11-02T12:00").get_json()
    days = {b["local_start"]: b["total"] for b in data["buckets"] if b["total"]}
    # 23:30 on the 1st and 00:30 on the 2nd in Shanghai are both the 1st in UTC (15:30 and
    # 16:30); the six of 09:10-11:00 in Shanghai are the 2nd in UTC too
    assert days == {"2026-11-01T00:00:00+00:00": 2, "2026-11-02T00:00:00+00:00": 6}
    runtime.close()


def test_daily_buckets_across_a_daylight_saving_change(home, store):
    berlin = ZoneInfo("Europe/Berlin")  # summer time ends 2026-10-25 03:00: a 25-hour day
    local = [datetime(2026, 10, 24, 23, 30), datetime(2026, 10, 25, 0, 30),
             datetime(2026, 10, 25, 23, 30), datetime(2026, 10, 26, 0, 10)]
    store.upsert([make_review(published_at=t.replace(tzinfo=berlin)) for t in local])
    runtime, client = _client_in("Europe/Berlin", home)
    data = client.get("/api/trends?since=2026-10-23T00:00&until=2026-10-27T00:00"
                      "&interval=day").get_json()
    days = {b["local_start"]: b["total"] for b in data["buckets"]}
    assert days == {"2026-10-23T00:00:00+02:00": 0, "2026-10-24T00:00:00+02:00": 1,
                    "2026-10-25T00:00:00+02:00": 2, "2026-10-26T00:00:00+01:00": 1}
    runtime.close()


def test_the_store_is_asked_for_local_days_where_the_offset_holds():
    def days(zone: str, first: str, n: int) -> list[datetime]:
        start = datetime.fromisoformat(first).replace(tzinfo=ZoneInfo(zone))
        return edges_between(start, start + timedelta(days=n), "day", ZoneInfo(zone))
    assert store_step(days("Asia/Shanghai", "2026-10-01", 30)) == \
        (timedelta(days=1), timedelta(hours=16))
    assert store_step(days("UTC", "2026-10-01", 30)) == (timedelta(days=1), timedelta(0))
    assert store_step(days("Asia/Kolkata", "2026-10-01", 3)) == \
        (timedelta(days=1), timedelta(hours=18, minutes=30))
    assert store_step(days("Europe/Berlin", "2026-10-20", 10)) == \
        (timedelta(hours=1), timedelta(0))
    kolkata = ZoneInfo("Asia/Kolkata")
    hours = edges_between(datetime(2026, 11, 2, 9, tzinfo=kolkata),
                          datetime(2026, 11, 2, 15, tzinfo=kolkata), "hour", kolkata)
    assert store_step(hours) == (timedelta(hours=1), timedelta(minutes=30))
    asked = []

    def trend(query, step, group_by, offset):
        asked.append((step, group_by, offset))
        return []
    edges = days("Asia/Shanghai", "2026-10-01", 30)
    series_over(ReviewQuery(), edges, "custom", "day", "sentiment", ZoneInfo("Asia/Shanghai"),
                trend)
    assert asked == [(timedelta(days=1), "sentiment", timedelta(hours=16))]
