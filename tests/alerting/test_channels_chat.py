"""WeCom, DingTalk, Feishu, Slack and SMS channels against a real local receiver: the exact
payload and signature each platform expects, retries, and final refusals."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from alerting.exceptions import DeliveryError
from alerting.respond.channels import (
    DingTalkChannel,
    FeishuChannel,
    SlackChannel,
    SmsChannel,
    UnavailableChannel,
    WeComChannel,
    build_channels,
)
from alerting.respond.channels.dingtalk import DingTalkConfig
from alerting.respond.channels.feishu import FeishuConfig
from alerting.respond.channels.slack import SlackConfig
from alerting.respond.channels.sms import SmsConfig
from alerting.respond.channels.wecom import WeComConfig
from alerting.respond.notice import Notice
from tests.alerting.chat_receiver import ChatReceiver

SECRET = "SEC-口碑-secret"
NOW = 1_793_600_000.25  # the injected clock, in seconds
ACK = "http://koubei.local/a/ack-token"
OPEN = "http://koubei.local/a/open-token"


def notice(kind: str = "opened", **values) -> Notice:
    base = dict(incident_id=7, rule="negative-spike", group_key="", title="云雀手机 负面评论激增",
                status="open", severity="warning",
                opened_at=datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc), metric=9,
                baseline=0.1, link="http://koubei.local/incidents/7", kind=kind,
                entities=("yunque",),
                explanation={"summary": "近 3 分钟负面评论 9 条，基线预期 0.1 条（约 90 倍）",
                             "terms": [{"term": "发热"}, {"term": "<烫手>"}]},
                actions={"acknowledge": ACK, "open": OPEN})
    base.update(values)
    return Notice(**base)


@pytest.fixture
def receiver():
    started = []

    def start(ok_body, replies=None) -> ChatReceiver:
        started.append(ChatReceiver(ok_body, replies))
        return started[-1]
    yield start
    for r in started:
        r.close()


@pytest.fixture
def client():
    with httpx.Client() as c:
        yield c


DETAIL = ["近 3 分钟负面评论 9 条，基线预期 0.1 条（约 90 倍）",
          "事件 #7 · 规则 negative-spike · 开始于 2026-11-02 20:00（Asia/Shanghai）",
          "突出词语：发热、<烫手>"]
# In markdown messages, review-written text cannot open a tag, a link or a mention.
MD_DETAIL = [*DETAIL[:2], "突出词语：发热、＜烫手＞"]


def test_wecom_markdown(receiver, client):
    bot = receiver({"errcode": 0, "errmsg": "ok"})
    config = WeComConfig(name="wecom", type="wecom", url=f"{bot.base}/cgi-bin/webhook/send?key=K1")
    assert WeComChannel(config, client).send(notice()) == 1
    [(path, headers, body)] = bot.requests
    assert path == "/cgi-bin/webhook/send?key=K1"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(body) == {"msgtype": "markdown", "markdown": {"content": "\n".join([
        '<font color="warning">【新告警】云雀手机 负面评论激增</font>',
        *[f"> {line}" for line in MD_DETAIL],
        f"[确认]({ACK}) ｜ [查看事件]({OPEN})"])}}
    assert "云雀".encode() in body  # UTF-8, not \\u escapes


def test_wecom_rate_limit_is_retried_and_other_errors_are_final(receiver, client):
    bot = receiver({"errcode": 0, "errmsg": "ok"},
                   [(200, {"errcode": 45009, "errmsg": "api freq out of limit"})])
    config = WeComConfig(name="wecom", type="wecom", url=f"{bot.base}/send?key=K1")
    assert WeComChannel(config, client, backoff=0.01).send(notice()) == 2
    bad = receiver({"errcode": 93000, "errmsg": "invalid webhook url"})
    config = WeComConfig(name="wecom", type="wecom", url=f"{bad.base}/send?key=K1")
    with pytest.raises(DeliveryError, match="code 93000: invalid webhook url") as refused:
        WeComChannel(config, client, backoff=0.01).send(notice())
    assert len(bad.requests) == 1
    assert "K1" not in str(refused.value)  # the bot key in the URL is never logged


def test_dingtalk_signed_action_card(receiver, client, monkeypatch):
    monkeypatch.setenv("DING_SECRET", SECRET)
    bot = receiver({"errcode": 0, "errmsg": "ok"})
    config = DingTalkConfig(name="ding", type="dingtalk", secret_env="DING_SECRET",
                                 url=f"{bot.base}/robot/send?access_token=T1")
    DingTalkChannel(config, client, clock=lambda: NOW).send(notice())
    [(path, _, body)] = bot.requests
    query = parse_qs(urlsplit(path).query)
    timestamp = "1793600000250"
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert query == {"access_token": ["T1"], "timestamp": [timestamp], "sign": [expected]}
    assert json.loads(body) == {"msgtype": "actionCard", "actionCard": {
        "title": "【新告警】云雀手机 负面评论激增",
        "text": "\n\n".join(["### 【新告警】云雀手机 负面评论激增", *MD_DETAIL]),
        "btnOrientation": "1",
        "btns": [{"title": "确认", "actionURL": ACK}, {"title": "查看事件", "actionURL": OPEN}]}}


def test_dingtalk_all_clear_and_refusal(receiver, client):
    bot = receiver({"errcode": 310000, "errmsg": "sign not match"})
    config = DingTalkConfig(name="ding", type="dingtalk", url=f"{bot.base}/robot/send?access_token=T1")
    channel = DingTalkChannel(config, client, backoff=0.01)
    resolved = notice("resolved", status="resolved", resolution="resolved", note="已更换批次",
                      actions={})
    with pytest.raises(DeliveryError, match="310000: sign not match"):
        channel.send(resolved)
    card = bot.bodies()[0]["actionCard"]
    assert card["title"] == "【告警解除】云雀手机 负面评论激增"
    assert "处理结果：已处理解决（已更换批次）" in card["text"] and "突出词语" not in card["text"]
    assert card["btns"] == [{"title": "查看事件", "actionURL": "http://koubei.local/incidents/7"}]


def test_feishu_signed_interactive_card(receiver, client, monkeypatch):
    monkeypatch.setenv("FEISHU_SECRET", SECRET)
    bot = receiver({"code": 0, "msg": "success", "data": {}})
    config = FeishuConfig(name="lark", type="feishu", secret_env="FEISHU_SECRET",
                               url=f"{bot.base}/open-apis/bot/v2/hook/H1")
    FeishuChannel(config, client, clock=lambda: NOW).send(notice())
    [(path, _, body)] = bot.requests
    assert path == "/open-apis/bot/v2/hook/H1"
    sent = json.loads(body)
    key = f"1793600000\n{SECRET}".encode()
    assert sent.pop("timestamp") == "1793600000"
    assert sent.pop("sign") == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert sent == {"msg_type": "interactive", "card": {
        "config": {"wide_screen_mode": True},
        "header": {"title": {"tag": "plain_text", "content": "【新告警】云雀手机 负面评论激增"},
                   "template": "red"},
        "elements": [
            {"tag": "div", "text": {"tag": "lark_md", "content": "\n".join(MD_DETAIL)}},
            {"tag": "action", "actions": [
                {"tag": "button", "text": {"tag": "plain_text", "content": "确认"},
                 "type": "primary", "url": ACK},
                {"tag": "button", "text": {"tag": "plain_text", "content": "查看事件"},
                 "type": "default", "url": OPEN}]}]}}


def test_feishu_frequency_limit_retried(receiver, client):
    bot = receiver({"code": 0, "msg": "success"}, [(200, {"code": 11232, "msg": "frequency limited"}),
                                                   (503, "busy")])
    config = FeishuConfig(name="lark", type="feishu", url=f"{bot.base}/hook/H1")
    assert FeishuChannel(config, client, backoff=0.01).send(notice()) == 3


def test_slack_blocks_escape_review_text(receiver, client):
    bot = receiver("ok")
    config = SlackConfig(name="slack", type="slack", url=f"{bot.base}/services/T/B/X")
    SlackChannel(config, client).send(notice())
    assert bot.bodies() == [{
        "text": f"【新告警】云雀手机 负面评论激增 {OPEN}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "【新告警】云雀手机 负面评论激增"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(
                DETAIL[:2] + ["突出词语：发热、&lt;烫手&gt;"])}},
            {"type": "actions", "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "确认"}, "url": ACK,
                 "style": "primary"},
                {"type": "button", "text": {"type": "plain_text", "text": "查看事件"}, "url": OPEN}]}]}]


def test_slack_rejection_is_final(receiver, client):
    bot = receiver("ok", [(400, "invalid_payload")])
    config = SlackConfig(name="slack", type="slack", url=f"{bot.base}/services/T/B/X")
    with pytest.raises(DeliveryError, match="HTTP 400 invalid_payload"):
        SlackChannel(config, client, backoff=0.01).send(notice())
    assert len(bot.requests) == 1


def test_sms_gateway_signed_short_message(receiver, client, monkeypatch):
    monkeypatch.setenv("SMS_SECRET", SECRET)
    gateway = receiver({"result": "queued"}, [(502, "bad gateway")])
    config = SmsConfig(name="sms", type="sms", url=f"{gateway.base}/sms",
                            recipients=["+8613800000000"], secret_env="SMS_SECRET")
    assert SmsChannel(config, client, backoff=0.01).send(notice(title="云雀手机 " + "很长的标题" * 40)) == 2
    _, headers, body = gateway.requests[-1]
    assert headers["X-Koubei-Signature"] == "sha256=" + hmac.new(
        SECRET.encode(), body, hashlib.sha256).hexdigest()
    sent = json.loads(body)
    assert sent["recipients"] == ["+8613800000000"]
    assert len(sent["message"]) <= 140
    assert sent["message"].startswith("【口碑】新告警：云雀手机 很长的标题")
    assert sent["message"].endswith(f"… {ACK}")
    short = SmsChannel(config, client).payload(notice())["message"]
    assert short == f"【口碑】新告警：云雀手机 负面评论激增（#7） {ACK}"


def test_chat_channels_from_config(monkeypatch):
    monkeypatch.delenv("MISSING_URL", raising=False)
    monkeypatch.setenv("DING_URL", "http://127.0.0.1:9/robot/send?access_token=T")
    channels = build_channels([
        DingTalkConfig(name="ding", type="dingtalk", url_env="DING_URL"),
        WeComConfig(name="wecom", type="wecom", url_env="MISSING_URL"),
        SlackConfig(name="slack", type="slack")])
    assert isinstance(channels["ding"], DingTalkChannel)
    assert channels["ding"].url == "http://127.0.0.1:9/robot/send?access_token=T"
    assert isinstance(channels["wecom"], UnavailableChannel)
    assert "MISSING_URL" in channels["wecom"].reason
    assert isinstance(channels["slack"], UnavailableChannel)
    assert "set url or url_env" in channels["slack"].reason
    for channel in channels.values():
        channel.close()
