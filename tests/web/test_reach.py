"""Reach (likes, replies, reposts, author followers) in the feed, the review page, the API
and the incident page."""
from __future__ import annotations

from tests.factories import make_review


def add_three(store):
    quiet = make_review(text="一般般", likes=1)
    viral = make_review(text="爆火的差评", likes=300, replies=40, reposts=25,
                        author_followers=12_000)
    shared = make_review(text="转发很多", reposts=90)
    store.upsert([quiet, viral, shared])
    return quiet, viral, shared


def test_feed_sorts_by_reach_and_shows_it(client, store):
    quiet, viral, shared = add_three(store)
    body = client.get("/").get_data(as_text=True)
    assert body.index("转发很多") < body.index("爆火的差评") < body.index("一般般")  # newest
    body = client.get("/?sort=reach").get_data(as_text=True)
    assert body.index("爆火的差评") < body.index("转发很多") < body.index("一般般")
    assert "传播 12365" in body and '<option value="reach" selected>' in body
    assert "点赞 300 · 回复 40 · 转发 25 · 作者粉丝 12000" in body
    assert client.get("/?sort=loudest").status_code == 400
    page = client.get(f"/reviews/{viral.id}").get_data(as_text=True)
    assert "转发 / 作者粉丝" in page and "25 / 12000" in page


def test_api_sorts_by_reach_and_returns_its_parts(client, store):
    quiet, viral, shared = add_three(store)
    reviews = client.get("/api/reviews?sort=reach").get_json()["reviews"]
    assert [r["id"] for r in reviews] == [viral.id, shared.id, quiet.id]
    assert (reviews[0]["reposts"], reviews[0]["author_followers"]) == (25, 12_000)
    assert [r["reach"] for r in reviews] == [viral.reach, shared.reach, quiet.reach]
    assert reviews[0]["reach"] > reviews[1]["reach"] > 0
    answer = client.get("/api/reviews?sort=nope")
    assert answer.status_code == 400 and "sort" in answer.get_data(as_text=True)


def test_incident_page_says_the_bursts_reach(client, store, add_incident):
    review = make_review(label="negative", text="充电器起火了！", likes=30)
    store.upsert([review])
    incident_id = add_incident(explanation={
        "summary": "近 3 分钟负面评论 2 条；共获赞 30",
        "reach": {"reviews": 2, "likes": 30, "replies": 4, "reposts": 1,
                  "author_followers": 500, "total": 535},
        "reviews": [{"id": review.id, "text": review.text, "reach": 30}]},
        review_ids=[review.id])
    body = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "传播范围" in body
    assert "2 条评论共获赞 30、回复 4、转发 1，作者粉丝合计 500（传播合计 535）" in body
    assert "传播 30" in body
    odd = add_incident(explanation={"reach": {"total": "lots"}, "summary": "x"})
    assert "传播范围" not in client.get(f"/incidents/{odd}").get_data(as_text=True)


def test_min_reach_filters_the_feed_the_api_and_the_live_feed(client, store):
    quiet, viral, shared = add_three(store)
    body = client.get("/?min_reach=90").get_data(as_text=True)
    assert "爆火的差评" in body and "转发很多" in body and "一般般" not in body
    assert "传播至少：90" in body and 'name="min_reach" min="0" step="1" value="90"' in body
    assert "min_reach=90" in body  # the live feed polls with the same filter
    found = client.get("/api/reviews?min_reach=91").get_json()["reviews"]
    assert [r["id"] for r in found] == [viral.id]
    assert client.get("/api/reviews?min_reach=").get_json()["count"] == 3  # empty: not given
    fed = client.get("/api/feed?min_reach=2").get_json()["reviews"]
    assert {r["id"] for r in fed} == {viral.id, shared.id}
    for bad in ("-1", "lots", "1e3", str(10**14)):
        answer = client.get(f"/api/reviews?min_reach={bad}")
        assert answer.status_code == 400 and "min_reach" in answer.get_data(as_text=True), bad


def test_incident_page_shows_a_suspected_coordinated_burst(client, store, add_incident):
    # issue 21, finding 7: the flag used to live in the explanation JSON only
    evidence = {"suspected": True, "reviews": 6, "new_authors": 6,
                "authors": [f"新号{i}" for i in range(6)], "span_seconds": 900,
                "text": "垃圾产品，千万别买！！", "review_ids": ["r1", "r2"],
                "reason": "6 条几乎相同的差评在 15 分钟内发布，6/6 个作者此前没有评论"}
    incident_id = add_incident(explanation={"summary": "近 30 分钟负面评论 9 条",
                                            "coordinated": evidence})
    body = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "疑似有组织刷差评" in body
    assert "6 条几乎相同的差评在 15 分钟内发布，6/6 个作者在基线样本中没有评论" in body
    assert "垃圾产品，千万别买！！" in body
    english = client.get(f"/incidents/{incident_id}?lang=en").get_data(as_text=True)
    assert "6 near-identical negative reviews posted within 15 minutes" in english
    plain = add_incident(explanation={"summary": "x", "coordinated": None})
    assert "疑似有组织刷差评" not in client.get(f"/incidents/{plain}").get_data(as_text=True)
    odd = add_incident(explanation={"summary": "x", "coordinated": {"suspected": "yes"}})
    assert "疑似有组织刷差评" not in client.get(f"/incidents/{odd}").get_data(as_text=True)
