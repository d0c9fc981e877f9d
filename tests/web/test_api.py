"""The review API: /api/reviews, /api/reviews/<id>, /api/feed."""
from __future__ import annotations

import json
from datetime import timedelta, timezone

import pytest

from tests.factories import BASE_TIME, make_review


def ids(response) -> list[str]:
    return [r["id"] for r in response.get_json()["reviews"]]


@pytest.fixture
def mixed(store):
    """Six reviews over three sources, two entities and all three labels."""
    reviews = [
        make_review(source="demo-appstore", label="negative", text="屏幕发黄", tokens=["屏幕", "发黄"]),
        make_review(source="demo-appstore", label="positive", text="拍照清晰", tokens=["拍照", "清晰"]),
        make_review(source="forum", label="negative", text="电池发热", tokens=["电池", "发热"],
                    entities=["yunque", "yunque-x5"]),
        make_review(source="forum", label="neutral", text="还行吧", tokens=["还行", "吧"]),
        make_review(source="weibo", label="positive", text="电池耐用", tokens=["电池", "耐用"],
                    entities=["yunque-x5"]),
        make_review(source="weibo", label="negative", text="客服不理人", tokens=["客服", "不", "理", "人"],
                    entities=[]),
    ]
    for minutes, review in enumerate(reviews, 1):  # fixed times: the day tests need them
        review.published_at = BASE_TIME + timedelta(minutes=minutes)
    store.upsert(reviews)
    return reviews


def test_reviews_newest_first_without_tokens(client, mixed):
    response = client.get("/api/reviews")
    data = response.get_json()
    assert response.status_code == 200
    newest_first = sorted(mixed, key=lambda r: r.published_at, reverse=True)
    assert ids(response) == [r.id for r in newest_first]
    assert data["count"] == 6 and data["next_cursor"] is None
    assert "tokens" not in data["reviews"][0]
    assert data["reviews"][0]["text"] == "客服不理人"
    assert data["reviews"][0]["sentiment"]["label"] == "negative"
    with_tokens = client.get("/api/reviews?fields=tokens").get_json()
    assert with_tokens["reviews"][0]["tokens"] == ["客服", "不", "理", "人"]


@pytest.mark.parametrize("query, expected", [
    ("source=forum", {"电池发热", "还行吧"}),
    ("source=forum,weibo&sentiment=negative", {"电池发热", "客服不理人"}),
    ("source=forum&source=weibo&sentiment=positive", {"电池耐用"}),
    ("entity=yunque-x5", {"电池发热", "电池耐用"}),
    ("sentiment=negative", {"屏幕发黄", "电池发热", "客服不理人"}),
    ("sentiment=neutral,positive&entity=yunque", {"拍照清晰", "还行吧"}),
    ("q=电池", {"电池发热", "电池耐用"}),
    ("q=电池&sentiment=negative", {"电池发热"}),
])
def test_reviews_filters(client, mixed, query, expected):
    response = client.get(f"/api/reviews?{query}")
    assert response.status_code == 200
    assert {r["text"] for r in response.get_json()["reviews"]} == expected


def test_since_and_until_in_config_timezone(client, mixed):
    # mixed[i] is published at BASE_TIME + n minutes; BASE_TIME is 10:00 in Shanghai
    third = mixed[2].published_at
    local = third.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M:%S")
    response = client.get(f"/api/reviews?since={local}")
    assert set(ids(response)) == {r.id for r in mixed[2:]}
    utc = third.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert set(ids(client.get(f"/api/reviews?until={utc}"))) == {r.id for r in mixed[:2]}
    # an unencoded "+08:00" arrives as " 08:00" and still means +08:00
    assert set(ids(client.get(f"/api/reviews?since={local}+08:00"))) == {r.id for r in mixed[2:]}
    # bare dates: local days; until includes the whole day
    day = BASE_TIME.astimezone(timezone(timedelta(hours=8))).date().isoformat()
    assert len(ids(client.get(f"/api/reviews?since={day}&until={day}"))) == 6
    assert ids(client.get(f"/api/reviews?until={day}T09:59")) == []


def test_cursor_pagination_walks_every_review_exactly_once(client, store):
    # several reviews share a published_at, so the cursor must break ties
    same = BASE_TIME + timedelta(days=1)
    reviews = [make_review(published_at=same if i % 3 == 0 else BASE_TIME + timedelta(hours=i))
               for i in range(23)]
    store.upsert(reviews)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 5} | ({"cursor": cursor} if cursor else {})
        data = client.get("/api/reviews", query_string=params).get_json()
        seen += [r["id"] for r in data["reviews"]]
        pages += 1
        cursor = data["next_cursor"]
        if cursor is None:
            break
    assert pages == 5
    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == {r.id for r in reviews}
    times = [store.get(i).published_at for i in seen]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize("query, parameter", [
    ("since=yesterday", "since"),
    ("until=2026-13-01", "until"),
    ("since=2026-11-03&until=2026-11-02", None),  # an empty window: nothing in it
    ("limit=0", "limit"),
    ("limit=201", "limit"),
    ("limit=ten", "limit"),
    ("sentiment=angry", "sentiment"),
    ("sentiment=negative,angry", "sentiment"),
    ("fields=body", "fields"),
    ("cursor=not-a-cursor", "cursor"),
    ("q=%20%20", None),  # blank search is no search, not an error
    ("q=%21%21%21", None),  # and so is one with nothing searchable in it
])
def test_bad_parameters_answer_400_naming_the_parameter(client, mixed, query, parameter):
    response = client.get(f"/api/reviews?{query}")
    if parameter is None:
        assert response.status_code == 200
        return
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_parameter"
    assert error["parameter"] == parameter
    assert error["message"]


def test_a_feed_cursor_is_not_a_search_cursor(client, mixed):
    feed_cursor = client.get("/api/feed").get_json()["cursor"]
    response = client.get(f"/api/reviews?cursor={feed_cursor}")
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "cursor"


def test_control_characters_do_not_break_json(client, store):
    text = "坏了\x00\x01\x1f\u2028\"\\</script>"
    review = make_review(text=text, author="\x07bell")
    store.upsert([review])
    response = client.get(f"/api/reviews/{review.id}")
    raw = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "\x00" not in raw and "\x01" not in raw
    assert json.loads(raw)["review"]["text"] == text
    assert response.get_json()["review"]["author"] == "\x07bell"
    listed = client.get("/api/reviews").get_json()["reviews"]
    assert listed[0]["text"] == text


def test_single_review_and_404(client, mixed):
    data = client.get(f"/api/reviews/{mixed[0].id}").get_json()
    assert data["review"]["text"] == "屏幕发黄"
    assert data["review"]["published_at"] == mixed[0].published_at.isoformat()
    missing = client.get("/api/reviews/nope")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"


def test_feed_returns_only_what_was_ingested_after_the_cursor(client, store):
    first = [make_review(text=f"旧{i}") for i in range(3)]
    store.upsert(first)
    head = client.get("/api/feed").get_json()
    assert [r["text"] for r in head["reviews"]] == ["旧2", "旧1", "旧0"]
    assert head["order"] == "newest_first"
    cursor = head["cursor"]

    quiet = client.get(f"/api/feed?cursor={cursor}").get_json()
    assert quiet["reviews"] == [] and quiet["cursor"] == cursor

    new = [make_review(text="新0"), make_review(text="新1")]
    store.upsert(new)
    store.upsert([first[0]])  # unchanged: must not reappear
    data = client.get(f"/api/feed?cursor={cursor}").get_json()
    assert [r["text"] for r in data["reviews"]] == ["新0", "新1"]
    assert data["order"] == "oldest_first"

    changed = make_review(source=first[1].source, native_id=first[1].native_id, text="旧1（已编辑）")
    store.upsert([changed])
    later = client.get(f"/api/feed?cursor={data['cursor']}").get_json()
    assert [(r["id"], r["text"]) for r in later["reviews"]] == [(first[1].id, "旧1（已编辑）")]


def test_feed_with_filters_and_limit(client, store):
    head = client.get("/api/feed?sentiment=negative").get_json()["cursor"]
    store.upsert([make_review(label="negative", text="差1"), make_review(label="positive", text="好"),
                  make_review(label="negative", text="差2"),
                  make_review(label="negative", text="差3")])
    page = client.get(f"/api/feed?sentiment=negative&limit=2&cursor={head}").get_json()
    assert [r["text"] for r in page["reviews"]] == ["差1", "差2"]
    rest = client.get(f"/api/feed?sentiment=negative&cursor={page['cursor']}").get_json()
    assert [r["text"] for r in rest["reviews"]] == ["差3"]


def test_feed_bad_cursor_is_400(client):
    response = client.get("/api/feed?cursor=WyJzZWFyY2giLDEsIngiXQ")
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "cursor"


def test_unknown_api_route_and_method_are_json(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    response = client.post("/api/reviews")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
