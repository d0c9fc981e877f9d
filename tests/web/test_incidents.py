"""Incident pages and /api/incidents."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import make_review
from tests.web.conftest import OPENED


@pytest.fixture
def explained(store, add_incident):
    reviews = [make_review(label="negative", text="充电器起火了！", url="https://apps.example.com/r/1"),
               make_review(label="negative", text="<b>电池鼓包</b>")]
    store.upsert(reviews)
    explanation = {
        "summary": "近 3 分钟负面评论 21 条，基线预期 0.4 条（约 52 倍）",
        "summary_en": "21 negative reviews in the last 3 minutes, against 0.4 expected (about 52×)",
        "terms": [{"term": "起火", "window_count": 9, "baseline_count": 0, "score": 4.2},
                  {"term": "鼓包", "window_count": 5, "baseline_count": 1, "score": 2.5}],
        "topics": [{"topic": "电池续航", "count": 12}, {"topic": "卫生安全", "count": 4}],
        "reviews": [{"id": r.id, "text": r.text, "url": r.url, "author": r.author,
                     "source": r.source, "published_at": r.published_at.isoformat()}
                    for r in reviews],
        "rule": "negative-spike", "type": "negative_spike", "group_by": None, "group_key": "",
        "metric": "negative_reviews", "count": 21, "expected": 0.4, "ratio": 52.5,
        "p_value": 1e-9,
        "window": {"start": "2026-11-02T06:02:00+00:00", "end": "2026-11-02T06:05:00+00:00",
                   "seconds": 180},
        "baseline": {"start": "2026-10-31T06:02:00+00:00", "end": "2026-11-02T06:02:00+00:00",
                     "seconds": 172800, "covered_seconds": 172800, "negatives": 23},
    }
    incident_id = add_incident(
        explanation=explanation, review_ids=[r.id for r in reviews],
        events=(("opened", {}), ("notified", {"channel": "demo-webhook"}),
                ("notify_failed", {"channel": "ops-mail", "error": "connection refused"})))
    return incident_id, reviews


def test_incident_list_newest_first_with_status_filter(client, add_incident):
    older = add_incident(title="较早的事件", status="resolved", opened_at=OPENED - timedelta(days=1))
    newer = add_incident(title="最新的事件", status="open")
    body = client.get("/incidents").get_data(as_text=True)
    assert body.index("最新的事件") < body.index("较早的事件")
    assert "待处理" in body and "已解决" in body
    assert "2026-11-02 14:05" in body  # opened time in Shanghai
    assert "21 条，基线 0.4 条" in body and "(52.5×)" in body
    only_resolved = client.get("/incidents?status=resolved").get_data(as_text=True)
    assert "较早的事件" in only_resolved and "最新的事件" not in only_resolved
    api = client.get("/api/incidents").get_json()
    assert [i["id"] for i in api["incidents"]] == [newer, older]
    assert api["incidents"][0]["metric"] == 21.0 and api["incidents"][0]["baseline"] == 0.4
    resolved = client.get("/api/incidents?status=resolved").get_json()["incidents"]
    assert [i["id"] for i in resolved] == [older]


def test_no_incidents(client):
    assert "暂无事件" in client.get("/incidents").get_data(as_text=True)
    assert client.get("/api/incidents").get_json() == {"incidents": [], "count": 0}


def test_incident_detail_renders_explanation_and_timeline(client, explained):
    incident_id, reviews = explained
    body = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "近 3 分钟负面评论 21 条，基线预期 0.4 条（约 52 倍）" in body
    assert '<th scope="row" class="term">起火</th><td>9</td><td>0</td><td>4.20</td>' in body
    assert "电池续航" in body and "12 条" in body
    assert "充电器起火了！" in body
    assert "&lt;b&gt;电池鼓包&lt;/b&gt;" in body and "<b>电池鼓包</b>" not in body
    assert f'href="/reviews/{reviews[0].id}"' in body
    assert 'href="https://apps.example.com/r/1"' in body
    assert body.index("事件创建") < body.index("已通知") < body.index("通知失败")
    assert "demo-webhook" in body and "connection refused" in body
    assert "<dt>统计窗口</dt><dd>2026-11-02 14:02:00 – 14:05:00</dd>" in body
    assert '<dt class="fact-key">p 值</dt><dd>&lt; 0.001</dd>' in body
    assert '<dt class="fact-key">倍数</dt><dd>52.5</dd>' in body
    assert '<dt class="fact-key">基线预期条数</dt><dd>0.4</dd>' in body
    assert '<dt class="fact-key">规则类型</dt><dd>负面激增</dd>' in body  # not negative_spike
    assert "关联评论（2 条）" in body


def test_incident_detail_in_english(client, explained):
    incident_id, _ = explained
    body = client.get(f"/incidents/{incident_id}?lang=en").get_data(as_text=True)
    assert "21 negative reviews in the last 3 minutes" in body
    assert "Notification failed" in body and "Over-represented terms" in body
    assert '<dt class="fact-key">Rule type</dt><dd>Negative spike</dd>' in body


def test_incident_api_detail(client, explained):
    incident_id, reviews = explained
    data = client.get(f"/api/incidents/{incident_id}").get_json()["incident"]
    assert data["id"] == incident_id and data["status"] == "open"
    assert data["opened_at"] == OPENED.isoformat()
    assert data["explanation"]["terms"][0]["term"] == "起火"
    assert data["review_ids"] == [r.id for r in reviews]
    assert [e["kind"] for e in data["events"]] == ["opened", "notified", "notify_failed"]
    assert data["events"][1]["detail"] == {"channel": "demo-webhook"}


def test_incident_with_odd_explanation_still_renders(client, add_incident):
    incident_id = add_incident(explanation={"terms": "not a list", "reviews": [{"id": 3}],
                                            "topics": [["物流配送", 3], 7], "window": "3m",
                                            "new_figure": 7},
                               events=(("escalated_later", {}),))
    body = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "物流配送" in body
    assert "escalated_later" in body  # an event kind added later is shown as itself
    assert '<dt class="fact-key">new_figure</dt><dd>7</dd>' in body  # so is a new fact


def test_missing_incident_404(client):
    page = client.get("/incidents/999")
    assert page.status_code == 404 and "找不到这个事件" in page.get_data(as_text=True)
    api = client.get("/api/incidents/999")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"
    assert client.get("/incidents/abc").status_code == 404


def test_bad_status_filter(client):
    response = client.get("/api/incidents?status=closed")
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == "status"
    assert client.get("/incidents?status=closed").status_code == 400


def test_timeline_entries_read_as_localised_facts(client, add_incident):
    opened = {"metric": 21, "baseline": 0.4321, "p_value": 3.2e-9,
              "window_start": "2026-11-02T06:02:00+00:00",
              "window_end": "2026-11-02T06:05:00+00:00",
              "summary": "近 3 分钟负面评论 21 条",
              "activity": {"2026-11-02T06:00:00+00:00": 4, "2026-11-02T08:00:00+00:00": 2},
              "peak_at": "2026-11-02T06:15:00+00:00"}
    incident_id = add_incident(events=(("opened", opened),
                                       ("auto_resolved", {"quiet_seconds": 1860})))
    body = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    timeline = body[body.index('id="incident-timeline"'):]
    assert "p 值：&lt; 0.001" in timeline and "基线预期：0.4" in timeline
    assert "窗口开始：11-02 14:02" in timeline  # Shanghai time, no ISO string
    assert "峰值时间：11-02 14:15" in timeline
    assert "14:00 █ ▄ 16:00（共 6 次）" in timeline  # firings per hour, local hours
    assert "已平稳：31m00s" in timeline
    for raw in ("window_start", "p_value", "3.2e-09", "T06:02", "activity", "peak_at"):
        assert raw not in timeline.split("</section>")[0], raw
    english = client.get(f"/incidents/{incident_id}?lang=en").get_data(as_text=True)
    assert "p-value: &lt; 0.001" in english and "(6 in all)" in english


@pytest.mark.parametrize(("key", "value", "shown"), [
    ("p_value", 2.5317747104395864e-06, "&lt; 0.001"), ("p_value", 0.01234, "0.012"),
    ("expected", 3.349, "3.35"), ("count", 15, "15"), ("ratio", 4.0, "4"),
    ("group_by", "entity", "品牌/产品"), ("group_by", "aspect", "方面（话题·情感）"),
    ("type", "volume_spike", "声量异常"), ("type", "made_up", "made_up"),
    ("new_note", "<i>x</i>", "&lt;i&gt;x&lt;/i&gt;")])
def test_incident_facts_read_as_numbers_and_names(client, add_incident, key, value, shown):
    incident_id = add_incident(explanation={key: value})
    body = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert f"</dt><dd>{shown}</dd>" in body
