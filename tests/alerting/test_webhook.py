"""The webhook channel against a real HTTP server on loopback."""
from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from sqlalchemy import select

from alerting.detect.tick import run_detection
from alerting.exceptions import ChannelConfigError, DeliveryError
from alerting.respond.action_links import Action, read_token
from alerting.respond.channels import UnavailableChannel, WebhookChannel, build_channels
from alerting.respond.channels.webhook import WebhookConfig
from alerting.respond.notice import Notice
from models.instance_key import instance_key
from models.state import Incident
from tests.alerting.conftest import NOW, add_burst, spike_rule
from tests.support import free_port

SECRET = "s3cret-口碑"


def detect_with(configure, url, secret_env=None):
    hook = WebhookConfig(name="hook", type="webhook", url=url, secret_env=secret_env,
                         headers={"X-Team": "brand-care"})
    rt = configure(rules=[spike_rule(channels=["hook"])], channels=[hook])
    add_burst(rt.store, 9)
    report = run_detection(rt, now=NOW, channels=fast_channels([hook]))
    with rt.state.session() as session:
        incident = session.scalars(select(Incident)).one()
        incident.events
    return report, incident


def fast_channels(configs):
    """Channels as configured, with a short backoff so retry tests stay quick."""
    return {c.name: WebhookChannel(c, backoff=0.01) for c in configs}


def test_posts_the_incident_as_signed_json(configure, webhook_receiver, monkeypatch):
    monkeypatch.setenv("KOUBEI_HOOK_SECRET", SECRET)
    receiver = webhook_receiver()
    report, incident = detect_with(configure, receiver.url, secret_env="KOUBEI_HOOK_SECRET")

    [(headers, body)] = receiver.accepted
    sent = json.loads(body)
    key = instance_key(configure().home)
    assert {action: read_token(key, url.rsplit("/a/", 1)[1])
            for action, url in sent.pop("actions").items()} == {
        "acknowledge": Action(incident.id, "acknowledge"), "open": Action(incident.id, "open")}
    assert sent == {
        "id": incident.id, "rule": "negative-spike", "group_key": "yunque",
        "kind": "opened", "title": "云雀手机 负面评论激增", "status": "open",
        "severity": "warning", "opened_at": "2026-11-02T12:00:00+00:00", "metric": 9,
        "baseline": pytest.approx(0.1), "entities": ["yunque"],
        "summary": "云雀手机：近 3 分钟负面评论 9 条，基线预期 0.1 条（约 90 倍）",
        "explanation": incident.explanation,
        "link": f"http://127.0.0.1:8080/incidents/{incident.id}"}
    assert "云雀手机".encode() in body  # UTF-8, not \\u escapes
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Koubei-Signature"] == f"sha256={expected}"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["X-Team"] == "brand-care"
    assert [e.kind for e in incident.events] == ["opened", "notified"]
    assert incident.events[1].detail == {"channel": "hook", "attempts": 1, "kind": "opened"}
    assert report.changes[0].notified == ["hook"]


def test_retries_a_failing_receiver_and_delivers_once(configure, webhook_receiver):
    receiver = webhook_receiver(failures=[500, 503])
    report, incident = detect_with(configure, receiver.url)
    assert len(receiver.attempts) == 3
    assert [json.loads(body)["id"] for _, body in receiver.accepted] == [incident.id]
    assert "X-Koubei-Signature" not in receiver.accepted[0][0]
    assert [(e.kind, e.detail.get("attempts")) for e in incident.events] == [
        ("opened", None), ("notified", 3)]
    assert incident.last_notified_at == NOW


def test_a_receiver_that_always_fails_is_recorded_and_the_incident_kept(configure,
                                                                       webhook_receiver):
    receiver = webhook_receiver(failures=[500] * 10)
    report, incident = detect_with(configure, receiver.url)
    assert len(receiver.attempts) == 3 and receiver.accepted == []
    assert incident.status == "open" and incident.last_notified_at is None
    failed = incident.events[-1]
    assert failed.kind == "notify_failed" and failed.detail["channel"] == "hook"
    assert "gave up after 3 tries" in failed.detail["error"]
    assert "HTTP 500" in failed.detail["error"]
    assert report.changes[0].failed == {"hook": failed.detail["error"]}
    assert report.stats["alerting/notify_failed"] == 1


def test_a_client_error_is_not_retried(configure, webhook_receiver):
    receiver = webhook_receiver(failures=[404])
    _, incident = detect_with(configure, receiver.url)
    assert len(receiver.attempts) == 1
    assert incident.events[-1].kind == "notify_failed"
    assert "HTTP 404" in incident.events[-1].detail["error"]


def test_an_unreachable_receiver_fails_after_bounded_retries(configure):
    url = f"http://127.0.0.1:{free_port()}/hooks"  # nothing listens there
    _, incident = detect_with(configure, url)
    assert incident.events[-1].kind == "notify_failed"
    assert "ConnectError" in incident.events[-1].detail["error"]


def test_a_missing_secret_variable_is_a_clear_error_at_build_time(monkeypatch):
    monkeypatch.delenv("KOUBEI_NO_SUCH_SECRET", raising=False)
    config = WebhookConfig(name="hook", type="webhook", url="http://127.0.0.1:9/",
                           secret_env="KOUBEI_NO_SUCH_SECRET")
    with pytest.raises(ChannelConfigError,
                       match="'hook': secret_env names the environment variable "
                             "'KOUBEI_NO_SUCH_SECRET', which is not set"):
        WebhookChannel(config)
    [(name, channel)] = build_channels([config]).items()
    assert isinstance(channel, UnavailableChannel)
    notice = Notice(1, "r", "", "t", "open", "warning", NOW, 9, 0.1, "http://x/incidents/1")
    with pytest.raises(DeliveryError, match="'hook': not available: .*KOUBEI_NO_SUCH_SECRET"):
        channel.send(notice)
