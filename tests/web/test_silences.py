"""Silences in the UI: handlers add and end them; analysts only see them."""
from __future__ import annotations

from tests.web.conftest import csrf_of


def test_handler_adds_and_ends_a_silence(signed_in):
    handler = signed_in("li", "handler", ["yunque"])
    token = csrf_of(handler, "/silences")
    page = handler.post("/silences", data={"rule": "negative-spike", "entity": "yunque",
                                           "duration": "2h", "reason": "<i>已知</i>故障",
                                           "csrf_token": token}, follow_redirects=True)
    body = page.get_data(as_text=True)
    assert "已添加静默。" in body and "&lt;i&gt;已知&lt;/i&gt;故障" in body and "云雀手机" in body
    analyst = signed_in("wang", "analyst")
    seen = analyst.get("/silences").get_data(as_text=True)
    assert "&lt;i&gt;已知&lt;/i&gt;故障" in seen and "提前结束" not in seen
    assert analyst.post("/silences/1/end", data={"csrf_token": csrf_of(analyst, "/silences")}
                        ).status_code == 403
    ended = handler.post("/silences/1/end", data={"csrf_token": token}, follow_redirects=True)
    assert "当前没有静默。" in ended.get_data(as_text=True)


def test_a_silence_outside_ones_scope_or_without_reason_is_refused(signed_in):
    handler = signed_in("li", "handler", ["yunque-x5"])
    token = csrf_of(handler, "/silences")
    outside = handler.post("/silences", data={"entity": "yunque", "duration": "1h",
                                              "reason": "x", "csrf_token": token},
                           follow_redirects=True)
    assert "不能静默你无权查看的品牌/产品" in outside.get_data(as_text=True)
    blank = handler.post("/silences", data={"entity": "yunque-x5", "duration": "1h",
                                            "reason": " ", "csrf_token": token},
                         follow_redirects=True)
    assert "a silence needs a reason" in blank.get_data(as_text=True)
    assert "当前没有静默。" in blank.get_data(as_text=True)


def test_a_silence_of_an_entity_outside_ones_scope_cannot_be_ended(signed_in):
    admin = signed_in("zhao", "admin")
    admin.post("/silences", data={"entity": "yunque", "duration": "1h", "reason": "发布观察",
                                  "csrf_token": csrf_of(admin, "/silences")})
    handler = signed_in("li", "handler", ["yunque-x5"])
    refused = handler.post("/silences/1/end", data={"csrf_token": csrf_of(handler, "/silences")},
                           follow_redirects=True)
    assert "不能静默你无权查看的品牌/产品" in refused.get_data(as_text=True)
    assert "发布观察" in admin.get("/silences").get_data(as_text=True)  # still active
