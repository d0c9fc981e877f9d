"""A channel that keeps failing raises an operational incident; delivering again resolves it."""
from __future__ import annotations

from sqlalchemy import select

from alerting.detect.tick import run_detection
from alerting.respond.channel_health import CHANNEL_RULE
from alerting.respond.channels import WebhookChannel
from alerting.respond.channels.webhook import WebhookConfig
from models.state import Incident
from tests.alerting.conftest import NOW, add_burst, spike_rule


def channel_incidents(rt) -> list[Incident]:
    with rt.state.session() as session:
        found = list(session.scalars(select(Incident).where(Incident.rule == CHANNEL_RULE)))
        for incident in found:
            incident.events
        return found


def test_failing_channel_opens_an_incident_until_it_delivers_again(configure, webhook_receiver):
    receiver = webhook_receiver(failures=[500] * 100)
    hook = WebhookConfig(name="hook", type="webhook", url=receiver.url)
    rules = [spike_rule(name=f"spike-{i}", channels=["hook"]) for i in range(3)]
    channels = {"hook": WebhookChannel(hook, backoff=0.01)}
    rt = configure(rules=rules[:2], channels=[hook])
    add_burst(rt.store, 9)

    run_detection(rt, now=NOW, channels=channels)
    assert channel_incidents(rt) == []  # two failed deliveries in a row: not yet
    rt = configure(rules=rules[2:], channels=[hook])
    report = run_detection(rt, now=NOW, channels=channels)
    assert report.stats["alerting/channel_incidents"] == 1
    [incident] = channel_incidents(rt)
    assert (incident.status, incident.severity, incident.group_key) == ("open", "critical", "hook")
    assert incident.title == "通知渠道 hook 持续发送失败"
    assert "HTTP 500" in incident.explanation["summary"]
    assert len(receiver.attempts) == 9 and receiver.accepted == []  # each one retried

    receiver.failures = []  # the receiver works again; the failed alerts are retried
    rt = configure(rules=rules, channels=[hook])
    run_detection(rt, now=NOW, channels=channels)
    [incident] = channel_incidents(rt)
    assert incident.status == "resolved" and incident.events[-1].kind == "auto_resolved"
    assert sorted(p["rule"] for p in receiver.payloads()) == ["spike-0", "spike-1", "spike-2"]
