"""The live feed page and the single-review page."""
from __future__ import annotations

import json
import re

from markupsafe import escape

from tests.factories import make_review


def feed_config(body: str) -> dict:
    match = re.search(r'<script type="application/json" id="feed-config">(.*?)</script>',
                      body, re.S)
    assert match, "the feed page must carry its poll configuration"
    return json.loads(match.group(1))


def test_feed_shows_review_with_chinese_badge_by_default(client, store):
    store.upsert([make_review(text="电池续航太差了，一天三充", label="negative", author="小王")])
    response = client.get("/")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in body
    assert "电池续航太差了，一天三充" in body
    assert '<span class="badge badge-negative">负面</span>' in body
    assert "小王" in body
    assert "-0.80" in body
    assert "口碑 Koubei" in body


def test_feed_in_english_with_lang_parameter_and_remembers_it(client, store):
    store.upsert([make_review(label="positive")])
    body = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in body
    assert '<span class="badge badge-positive">Positive</span>' in body
    assert "Live feed" in body
    # the choice sticks through the cookie until changed back
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    body = client.get("/?lang=zh-CN").get_data(as_text=True)
    assert '<span class="badge badge-positive">正面</span>' in body


def test_time_in_config_timezone_and_missing_rating(client, store):
    from datetime import datetime, timezone
    published = datetime(2026, 11, 23, 6, 5, tzinfo=timezone.utc)  # 14:05 in Shanghai
    store.upsert([make_review(published_at=published, rating=None)])
    body = client.get("/").get_data(as_text=True)
    assert ">2026-11-23 14:05</time>" in body
    assert "无评分" in body


def test_review_html_is_escaped_and_control_characters_shown(client, store):
    store.upsert([make_review(text="<script>alert(1)</script>\x00\x1b[31m好\x7f",
                              author='<img src=x onerror="alert(2)">')])
    body = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\u2400\u241b[31m好\u2421" in body
    assert "<img src=x" not in body
    assert str(escape('<img src=x onerror="alert(2)">')) in body
    assert "\x00" not in body and "\x1b" not in body


def test_traditional_text_and_emoticons_shown_as_written(client, store):
    store.upsert([make_review(text="這款手機螢幕很漂亮[贊]😀", script="zh-Hant")])
    body = client.get("/").get_data(as_text=True)
    assert '<p class="review-text" lang="zh-Hant">這款手機螢幕很漂亮[贊]😀</p>' in body


def test_feed_filters_by_sentiment_source_and_entity(client, store):
    store.upsert([make_review(text="差评一条", label="negative"),
                  make_review(text="好评一条", label="positive"),
                  make_review(text="别处的差评", label="negative", source="forum",
                              entities=["yunque-x5"])])
    body = client.get("/?sentiment=negative").get_data(as_text=True)
    assert "差评一条" in body and "别处的差评" in body and "好评一条" not in body
    body = client.get("/?source=forum").get_data(as_text=True)
    assert "别处的差评" in body and "差评一条" not in body
    body = client.get("/?entity=yunque-x5").get_data(as_text=True)
    assert "别处的差评" in body and "好评一条" not in body
    # the page polls with the same filters
    config = feed_config(client.get("/?sentiment=negative&entity=yunque-x5").get_data(as_text=True))
    assert config["pollUrl"] in ("/api/feed?sentiment=negative&entity=yunque-x5",
                                 "/api/feed?entity=yunque-x5&sentiment=negative")


def test_feed_search_box(client, store):
    store.upsert([make_review(text="屏幕发黄", tokens=["屏幕", "发黄"]),
                  make_review(text="电池不耐用", tokens=["电池", "不", "耐用"])])
    body = client.get("/?q=电池").get_data(as_text=True)
    assert "<em>电池</em>不耐用" in body and "屏幕发黄" not in body
    assert 'value="电池"' in body
    assert "q=" in feed_config(body)["pollUrl"]


def test_feed_page_cursor_polls_only_new_reviews(client, store):
    store.upsert([make_review(text="旧评论")])
    config = feed_config(client.get("/").get_data(as_text=True))
    store.upsert([make_review(text="新评论")])
    data = client.get(config["pollUrl"], query_string={"cursor": config["cursor"]}).get_json()
    assert [r["text"] for r in data["reviews"]] == ["新评论"]
    assert config["labels"]["negative"] == "负面"
    assert config["timezone"] == "Asia/Shanghai"


def test_empty_feed_says_so(client):
    body = client.get("/").get_data(as_text=True)
    assert '<p class="empty" id="feed-empty">暂无符合条件的评论。</p>' in body


def test_feed_page_rejects_bad_filter_with_message(client):
    response = client.get("/?sentiment=angry")
    assert response.status_code == 400
    assert "sentiment" in response.get_data(as_text=True)


def test_review_page_and_missing_review(client, store):
    review = make_review(text="客服态度很好", url="https://apps.example.com/review/1",
                         keywords=["客服", "态度"])
    store.upsert([review])
    body = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert "客服态度很好" in body and "客服、态度" in body
    assert 'href="https://apps.example.com/review/1" rel="noopener noreferrer nofollow"' in body
    missing = client.get("/reviews/0000")
    assert missing.status_code == 404
    assert "找不到这条评论" in missing.get_data(as_text=True)


def test_only_web_links_are_linked(client, store):
    store.upsert([make_review(url="javascript:alert(1)")])
    assert "javascript:alert(1)" not in client.get("/").get_data(as_text=True)


def test_feed_opens_on_the_newest_published_reviews_after_a_backfill(client, store):
    from datetime import timedelta

    from tests.factories import BASE_TIME
    # a crawl ingests newest first, so the last ingested review is the oldest one
    backfill = [make_review(text=f"第{n}小时前的评论", published_at=BASE_TIME - timedelta(hours=n))
                for n in range(1, 4)]
    store.upsert(backfill)
    body = client.get("/").get_data(as_text=True)
    positions = [body.index(f"第{n}小时前的评论") for n in range(1, 4)]
    assert positions == sorted(positions)  # newest published first
    # and live polling starts from the head: nothing already shown comes again
    head = feed_config(body)["cursor"]
    assert client.get(f"/api/feed?cursor={head}").get_json()["reviews"] == []


def test_search_words_are_highlighted_and_markup_in_reviews_stays_text(client, store):
    store.upsert([make_review(text="<b>注意</b> 电池发热严重", tokens=["注意", "电池", "发热", "严重"]),
                  make_review(text="屏幕很好", tokens=["屏幕", "很", "好"])])
    body = client.get("/?q=电池").get_data(as_text=True)
    assert "&lt;b&gt;注意&lt;/b&gt; <em>电池</em>发热严重" in body
    assert "<b>注意</b>" not in body and "屏幕很好" not in body
    api = client.get("/api/reviews?q=电池").get_json()["reviews"]
    assert [r["highlight"] for r in api] == ["&lt;b&gt;注意&lt;/b&gt; <em>电池</em>发热严重"]
    assert "highlight" not in client.get("/api/reviews").get_json()["reviews"][0]
