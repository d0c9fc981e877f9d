"""A complaint's status, status changes and progress (黑猫投诉) on the feed and its page."""
from __future__ import annotations

from tests.factories import make_review

PROGRESS = [
    {"step": "商家已回复", "by": "云雀科技", "at": "2025-12-03T06:20:00+00:00",
     "text": "您好，已为您办理退货退款"},
    {"step": "发起投诉", "by": "黑猫用户5", "at": "2025-12-02T01:50:00+00:00",
     "text": "<script>alert(1)</script>充电发烫"},
]


def complaint(**extra):
    return make_review(text="云雀手机充电发烫，售后拒绝维修", platform="heimao", source="heimao",
                       extra={"company": "云雀科技", "demands": "要求退货退款", **extra})


def test_review_page_shows_status_changes_and_progress(client, store):
    review = complaint(status="已完成", progress=PROGRESS, status_updates=[
        {"from": "处理中", "to": "已完成", "seen_at": "2025-12-04T10:30:00+00:00"}])
    store.upsert([review])
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert "投诉对象" in page and "云雀科技" in page and "要求退货退款" in page
    assert "处理中 → 已完成（2025-12-04 18:30 发现）" in page  # shown in Beijing time
    assert page.index("商家已回复") < page.index("发起投诉")
    assert "2025-12-03 14:20" in page and "您好，已为您办理退货退款" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    feed = client.get("/").get_data(as_text=True)
    assert 'class="tag complaint-status" title="投诉状态">已完成</span>' in feed
    english = client.get(f"/reviews/{review.id}?lang=en").get_data(as_text=True)
    assert "Company complained about" in english and "Progress" in english


def test_progress_not_read_and_odd_shapes_are_shown_plainly(client, store):
    unread = complaint(status="处理中")
    odd = complaint(status=["x"], progress="not a list", status_updates=[{"from": 1}, "x"])
    steps = complaint(progress=[{"step": "商家已回复", "at": "yesterday"}, 7])
    plain = make_review(text="普通评论")
    store.upsert([unread, odd, steps, plain])
    assert "尚未读取投诉进度" in client.get(f"/reviews/{unread.id}").get_data(as_text=True)
    answer = client.get(f"/reviews/{odd.id}")
    assert answer.status_code == 200 and "— → —" in answer.get_data(as_text=True)
    answer = client.get(f"/reviews/{steps.id}")
    assert answer.status_code == 200 and "商家已回复" in answer.get_data(as_text=True)
    assert "投诉对象" not in client.get(f"/reviews/{plain.id}").get_data(as_text=True)
