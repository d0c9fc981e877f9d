"""Channel credentials (audit finding 3): WeCom's ``key=``, DingTalk's ``access_token`` and
``sign``, Feishu's and Slack's webhook paths never reach a log line, a timeline event, the
incident page or the API — the HTTP client's own request line included."""
from __future__ import annotations

import logging
import socket

import httpx
import pytest

from alerting.respond.channels import DingTalkChannel, FeishuChannel, SlackChannel, WeComChannel
from alerting.respond.channels.dingtalk import DingTalkConfig
from alerting.respond.channels.feishu import FeishuConfig
from alerting.respond.channels.slack import SlackConfig
from alerting.respond.channels.wecom import WeComConfig
from alerting.respond.delivery import deliver
from models.redact import install_log_redaction, redact_text
from tests.alerting.chat_receiver import ChatReceiver
from tests.alerting.test_channels_chat import notice
from tests.factories import make_review
from tests.security.conftest import csrf_of

WECOM_KEY = "wecom-key-6f1d2c"
DING_TOKEN = "ding-token-a9b8c7"
FEISHU_HOOK = "feishu-hook-5e4d3c"
SLACK_HOOK = "slack-hook-XYZ123"
SECRETS = (WECOM_KEY, DING_TOKEN, FEISHU_HOOK, SLACK_HOOK, "SEC-ding")


@pytest.fixture
def bot():
    receiver = ChatReceiver({"errcode": 0, "errmsg": "ok", "code": 0})
    yield receiver
    receiver.close()


def _channels(base: str, monkeypatch):
    monkeypatch.setenv("DING_SECRET", "SEC-ding")
    client = httpx.Client()
    return client, {
        "wecom": WeComChannel(WeComConfig(
            name="wecom", type="wecom", url=f"{base}/cgi-bin/webhook/send?key={WECOM_KEY}"),
            client, backoff=0),
        "ding": DingTalkChannel(DingTalkConfig(
            name="ding", type="dingtalk", secret_env="DING_SECRET",
            url=f"{base}/robot/send?access_token={DING_TOKEN}"), client, backoff=0),
        "feishu": FeishuChannel(FeishuConfig(
            name="feishu", type="feishu", url=f"{base}/open-apis/bot/v2/hook/{FEISHU_HOOK}"),
            client, backoff=0),
        "slack": SlackChannel(SlackConfig(
            name="slack", type="slack", url=f"{base}/services/T0/B0/{SLACK_HOOK}"),
            client, backoff=0)}


def test_the_http_clients_request_lines_carry_no_channel_secret(bot, monkeypatch, caplog):
    client, channels = _channels(bot.base, monkeypatch)
    with caplog.at_level(logging.DEBUG):
        deliveries = deliver(notice(), list(channels), channels)
    client.close()
    assert [d.ok for d in deliveries] == [True] * 4
    assert len(bot.requests) == 4 and WECOM_KEY in bot.requests[0][0]  # the secret was sent
    request_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(request_lines) == 4 and "HTTP Request: POST" in request_lines[0]
    for secret in SECRETS:
        assert secret not in caplog.text


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_failed_deliveries_record_and_log_no_secret(monkeypatch, caplog):
    refusing = ChatReceiver("ok", [(400, "bad")] * 4)
    try:
        client, channels = _channels(refusing.base, monkeypatch)
        with caplog.at_level(logging.DEBUG):
            refused = deliver(notice(), list(channels), channels)
        client, down = _channels(f"http://127.0.0.1:{_closed_port()}", monkeypatch)
        with caplog.at_level(logging.DEBUG):
            unreachable = deliver(notice(), list(down), down)
        client.close()
    finally:
        refusing.close()
    for delivery in refused + unreachable:
        assert not delivery.ok
        kind, detail = delivery.event("opened")
        assert kind == "notify_failed"
        for secret in SECRETS:
            assert secret not in str(detail) and secret not in caplog.text
    assert "127.0.0.1" in refused[0].error  # still says where it went


def test_an_old_failure_event_shows_no_secret_on_the_page_or_the_api(client, add_incident):
    error = (f"gave up after 3 tries: POST https://open.feishu.cn/open-apis/bot/v2/hook/"
             f"{FEISHU_HOOK}: HTTP 500; https://oapi.dingtalk.com/robot/send?access_token="
             f"{DING_TOKEN}&sign=abc")
    incident_id = add_incident(events=(("opened", {}), ("notify_failed", {
        "channel": "feishu", "error": error, "kind": "opened"})))
    page = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    api = client.get(f"/api/incidents/{incident_id}").get_data(as_text=True)
    for body in (page, api):
        assert "open.feishu.cn" in body and FEISHU_HOOK not in body and DING_TOKEN not in body


def test_the_command_lines_log_handlers_strip_credentials(caplog):
    root = logging.getLogger()
    handler = logging.StreamHandler()
    root.addHandler(handler)
    try:
        install_log_redaction()
        assert any(f.__class__.__name__ == "RedactingFilter" for f in handler.filters)
    finally:
        root.removeHandler(handler)
    assert redact_text("GET https://u:pw@example.com/a?access_token=T&page=2", paths=False) == (
        "GET https://…@example.com/a?access_token=…&page=2")


def test_healthz_tells_an_anonymous_caller_only_whether_it_is_up(anonymous, client, store):
    store.upsert([make_review(), make_review()])
    assert anonymous.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/healthz").get_json() == {"status": "ok", "reviews": 2}


def test_pages_and_answers_showing_tokens_are_never_cached(client):
    made = client.post("/account/tokens", data={"name": "脚本",
                                                "csrf_token": csrf_of(client, "/account")})
    assert "kb_" in made.get_data(as_text=True)
    for response in (made, client.get("/account"), client.get("/"), client.get("/api/reviews"),
                     client.get("/login")):
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/static/koubei.css").headers.get("Cache-Control") != "no-store"
