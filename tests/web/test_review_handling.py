"""Handling single reviews on the pages and over the API: assign, mark handled with what was
done, reopen; the status in the feed and on the review page; bulk steps on the feed's filtered
list; my queue; the figures page; brand scope on all of it."""
from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.respond import review_handling as rh
from alerting.respond import workflow
from models.review import utcnow
from models.state import ReviewHandling
from tests.factories import make_review
from tests.web.conftest import csrf_of


@pytest.fixture
def reviews(store):
    """Three negative and two positive reviews of 云雀, and one negative review of a brand
    the scoped handler may not see."""
    ours = [make_review(label=label) for label in ("negative",) * 3 + ("positive",) * 2]
    theirs = make_review(label="negative", entities=["huamei"], text="华美的售后太差了")
    store.upsert(ours + [theirs])
    return ours, theirs


@pytest.fixture
def li(signed_in, add_user):
    add_user("zhao", "handler", ["yunque"])
    add_user("wang", "analyst")
    add_user("hua", "handler", ["huamei"])
    return signed_in("li", "handler", ["yunque"])


def api(client, path, body):
    return client.post(path, json=body, headers={"X-CSRF-Token": csrf_of(client, "/")})


def post(client, path, page="/", **form):
    return client.post(path, data={"csrf_token": csrf_of(client, page), **form},
                       follow_redirects=True)


def test_assign_then_handle_a_review_on_its_page(li, reviews, runtime):
    review = reviews[0][0]
    page = f"/reviews/{review.id}"
    body = li.get(page).get_data(as_text=True)
    assert "尚未处理" in body and 'id="review-handle"' in body
    assert '<option value="wang"' not in body  # analysts are not assignable
    body = post(li, f"{page}/act", page, action="assign", assignee="zhao").get_data(as_text=True)
    assert "已指派。" in body and "待处理 · zhao" in body
    body = post(li, f"{page}/act", page, action="handle", outcome="replied",
                note="已在评论区回复并私信").get_data(as_text=True)
    assert "已标记为已处理。" in body
    assert "已处理（已在平台回复）· li" in body and "已在评论区回复并私信" in body
    assert 'id="review-reopen"' in body and 'id="review-handle"' not in body
    events = body[body.index('class="events review-events"'):]
    assert events.index("已指派") < events.index("已处理")

    feed = li.get("/").get_data(as_text=True)
    card = feed[feed.index(f'data-id="{review.id}"'):]
    card = card[:card.index("</article>")]
    assert 'class="handling handling-handled"' in card and "已在平台回复" in card
    api = li.get(f"/api/reviews/{review.id}").get_json()
    assert api["handling"]["outcome"] == "replied"
    assert [e["kind"] for e in api["handling"]["events"]] == ["assigned", "handled"]
    listed = {r["id"]: r["handling"] for r in li.get("/api/reviews").get_json()["reviews"]}
    assert listed[review.id]["status"] == "handled" and listed[reviews[0][1].id] is None

    body = post(li, f"{page}/act", page, action="reopen").get_data(as_text=True)
    assert "已重新打开。" in body and "待处理 · zhao" in body


def test_refusals_are_shown_not_raised(li, reviews):
    review = reviews[0][0]
    page = f"/reviews/{review.id}"
    body = post(li, f"{page}/act", page, action="handle", outcome="other").get_data(as_text=True)
    assert "操作未完成" in body and "a note" in body
    body = post(li, f"{page}/act", page, action="assign", assignee="hua").get_data(as_text=True)
    assert "cannot handle it" in body  # hua's scope does not cover 云雀
    body = post(li, f"{page}/act", page, action="handle", outcome="replied",
                note="长" * 4001).get_data(as_text=True)
    assert "at most 4000 characters" in body
    response = li.post(f"{page}/act", data={"csrf_token": csrf_of(li, page), "action": "zap"})
    assert response.status_code == 400
    answer = api(li, f"/api/reviews/{review.id}/handling",
                 {"action": "handle", "outcome": "replied", "note": "长" * 4001})
    assert answer.status_code == 400 and "at most 4000" in str(answer.get_json()["error"])
    assert api(li, f"/api/reviews/{review.id}/handling",
               {"action": "handle", "outcome": "replied"}).status_code == 200


def test_scope_and_role(li, reviews, signed_in):
    theirs = reviews[1]
    response = li.post(f"/reviews/{theirs.id}/act",
                       data={"csrf_token": csrf_of(li), "action": "handle", "outcome": "replied"})
    assert response.status_code == 404
    assert api(li, f"/api/reviews/{theirs.id}/handling",
               {"action": "handle", "outcome": "replied"}).status_code == 404
    analyst = signed_in("qian", "analyst")
    review = reviews[0][0]
    assert 'id="bulk-form"' not in analyst.get("/").get_data(as_text=True)
    assert 'id="review-handle"' not in analyst.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert api(analyst, f"/api/reviews/{review.id}/handling",
               {"action": "handle", "outcome": "replied"}).status_code == 403


def test_bulk_handle_follows_the_feeds_filters(li, reviews, runtime):
    ours, theirs = reviews
    body = li.get("/?sentiment=negative").get_data(as_text=True)
    assert 'action="/reviews/bulk?sentiment=negative"' in body
    response = li.post("/reviews/bulk?sentiment=negative", data={
        "csrf_token": csrf_of(li), "action": "handle", "outcome": "escalated",
        "note": "转交售后"})
    assert response.status_code == 302 and response.location.endswith("/?sentiment=negative")
    body = li.get(response.location).get_data(as_text=True)
    assert "已将 3 条评论标记为已处理。" in body
    rows = rh.handlings(runtime.state, [r.id for r in ours] + [theirs.id])
    assert set(rows) == {r.id for r in ours[:3]}  # not the positives, not 华美's
    assert {(row.outcome, row.note, row.handled_by) for row in rows.values()} == {
        ("escalated", "转交售后", "li")}
    again = post(li, "/reviews/bulk?sentiment=negative", action="handle", outcome="replied")
    assert "3 条未处理" in again.get_data(as_text=True)


def test_bulk_assign_the_ticked_reviews(li, reviews, runtime):
    ours, theirs = reviews
    ticked = [ours[3].id, ours[4].id, theirs.id]
    response = li.post("/reviews/bulk", data={
        "csrf_token": csrf_of(li), "action": "assign", "assignee": "zhao", "review_id": ticked})
    assert response.status_code == 302
    rows = rh.handlings(runtime.state, ticked)
    assert set(rows) == {ours[3].id, ours[4].id}  # 华美's review is out of li's scope
    assert {row.assignee for row in rows.values()} == {"zhao"}
    answer = api(li, "/api/handling/bulk", {"action": "handle", "outcome": "replied",
                                             "review_ids": [ours[3].id, ours[0].id]}).get_json()
    assert answer == {"done": [ours[3].id, ours[0].id], "skipped": {}}
    answer = api(li, "/api/handling/bulk?sentiment=positive",
                 {"action": "handle", "outcome": "replied"}).get_json()
    assert answer["done"] == [ours[4].id] and list(answer["skipped"]) == [ours[3].id]
    assert api(li, "/api/handling/bulk", {"action": "reopen"}).status_code == 400
    bad_outcome = api(li, "/api/handling/bulk", {"action": "handle", "outcome": "thanked"})
    assert bad_outcome.status_code == 400 and bad_outcome.get_json()["error"]["parameter"] == \
        "outcome"
    assert api(li, "/api/handling/bulk", {"action": "assign", "assignee": 7}).status_code == 400
    assert api(li, "/api/handling/bulk", {"action": "handle",
                                              "review_ids": "x"}).status_code == 400


def test_my_queue_lists_reviews_and_incidents_assigned_to_me(li, reviews, runtime,
                                                             add_incident, signed_in):
    ours, _ = reviews
    for review in ours[:2]:
        rh.assign(runtime.state, review, "zhao", "li")
    rh.assign(runtime.state, ours[2], "li", "zhao")
    rh.handle(runtime.state, ours[1], "li", "replied")
    mine = add_incident(title="云雀手机 发热投诉激增")
    add_incident(title="另一个事件")
    workflow.assign(runtime.state, mine, "zhao", "li")
    body = li.get("/queue").get_data(as_text=True)
    assert "指派给我的事件（1）" in body and "云雀手机 发热投诉激增" in body
    assert "另一个事件" not in body
    assert "指派给我、待处理的评论（1）" in body
    assert f'data-id="{ours[0].id}"' in body and f'data-id="{ours[1].id}"' not in body
    api = li.get("/api/queue").get_json()
    assert [item["review"]["id"] for item in api["reviews"]] == [ours[0].id]
    assert [i["id"] for i in api["incidents"]] == [mine]
    workflow.resolve(runtime.state, mine, "li")
    assert li.get("/api/queue").get_json()["incidents"] == []
    assert "My queue" in signed_in("qian", "analyst").get("/queue?lang=en").get_data(as_text=True)


def test_figures_page_counts_reviews_handled_in_scope(li, reviews, runtime, client):
    ours, theirs = reviews
    handled = utcnow() - timedelta(days=2)
    for review, minutes in zip(ours[:3], (4, 10, 60)):
        arrived = review.crawled_at
        rh.handle(runtime.state, review, "zhao", "replied", at=handled)
        with runtime.state.session() as session:  # collected `minutes` before it was handled
            session.get(ReviewHandling, review.id).arrived_at = handled - timedelta(
                minutes=minutes)
        assert arrived != handled
    rh.handle(runtime.state, theirs, "hua", "refunded", at=handled)
    rh.handle(runtime.state, ours[3], "li", "replied", at=utcnow() - timedelta(days=20))
    figures = li.get("/api/response?range=7d").get_json()["reviews"]
    assert figures == {"handled": 3, "median_seconds": 600.0, "by_outcome": {"replied": 3},
                       "by_handler": {"zhao": 3}}  # not 华美's, not the one 20 days ago
    assert client.get("/api/response?range=30d").get_json()["reviews"]["handled"] == 5
    body = li.get("/response?range=7d").get_data(as_text=True)
    assert '<dd class="reviews-handled">3</dd>' in body
    assert '<dd class="reviews-median">10m00s</dd>' in body
    assert "已在平台回复 3" in body


def test_handling_changes_since_a_time_for_the_live_feed(li, reviews, runtime):
    ours, theirs = reviews
    before = utcnow() - timedelta(seconds=1)
    rh.handle(runtime.state, ours[0], "zhao", "replied")
    rh.handle(runtime.state, theirs, "hua", "refunded")  # out of li's scope
    answer = li.get("/api/handling", query_string={"since": before.isoformat()}).get_json()
    assert list(answer["handling"]) == [ours[0].id]
    assert answer["handling"][ours[0].id]["handled_by"] == "zhao"
    later = utcnow() + timedelta(minutes=1)
    assert li.get("/api/handling", query_string={"since": later.isoformat()}).get_json()[
        "handling"] == {}
    recent = li.get("/api/handling").get_json()["handling"]  # default: the last moments
    assert list(recent) == [ours[0].id]
    assert li.get("/api/handling?since=yesterday").status_code == 400
    config = li.get("/").get_data(as_text=True)
    assert '"handlingUrl": "/api/handling"' in config
