"""The app factory."""
from __future__ import annotations

import importlib.util

from tests.factories import make_review
from tests.support import require
from tests.web.conftest import PASSWORD, log_in
from web.app import create_app
from web.security import accounts


def test_factory_opens_the_runtime_itself_when_given_none(home, monkeypatch):
    monkeypatch.setenv("KOUBEI_HOME", str(home))
    monkeypatch.delenv("KOUBEI_CONFIG", raising=False)
    app = create_app()
    runtime = app.extensions["koubei"]
    try:
        assert runtime.home == home
        assert runtime.config.entities[0].id == "yunque"  # the bundled demo config
        runtime.store.upsert([make_review()])
        assert app.test_client().get("/healthz").get_json() == {"status": "ok"}  # anonymous
    finally:
        runtime.close()


def test_every_api_route_is_served_from_web_api(app):
    served_by = {rule.rule: app.view_functions[rule.endpoint].__module__
                 for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    assert len(served_by) >= 10
    misplaced = {path: module for path, module in served_by.items()
                 if not module.startswith("web.api.")}
    assert not misplaced, misplaced


def test_test_config_overrides_settings(runtime, store):
    store.upsert([make_review(text=f"评论{i}") for i in range(5)])
    app = create_app(runtime, {"TESTING": True, "FEED_LIMIT": 2, "FEED_POLL_SECONDS": 9})
    accounts.add_user(runtime.state, "reader", "analyst", ["*"], PASSWORD)
    client = app.test_client()
    log_in(client, "reader")
    body = client.get("/").get_data(as_text=True)
    assert body.count('<article class="review review-') == 2
    assert "每 9 秒" in body


def test_search_segments_the_query(client, store):
    require(importlib.util.find_spec("nlp.segment") is not None,
            "nlp.segment (query segmentation)")
    store.upsert([make_review(text="电池不耐用，屏幕发黄", tokens=["电池", "不", "耐用", "屏幕", "发黄"]),
                  make_review(text="电池很耐用", tokens=["电池", "很", "耐用"])])
    # typed without spaces: only segmentation turns it into the two terms 屏幕 and 发黄
    data = client.get("/api/reviews", query_string={"q": "屏幕发黄"}).get_json()
    assert [r["text"] for r in data["reviews"]] == ["电池不耐用，屏幕发黄"]
    body = client.get("/", query_string={"q": "屏幕發黃"}).get_data(as_text=True)  # traditional
    # found through the simplified words, which are highlighted
    assert "电池不耐用，<em>屏幕</em><em>发黄</em>" in body and "电池很耐用" not in body
