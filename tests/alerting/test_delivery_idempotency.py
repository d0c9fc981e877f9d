"""Idempotency keys on deliveries: a notice goes to a channel once, even when a second process
(a scheduler that took over) handles the same incident; a failed one is retried."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update

from alerting.detect.tick import run_detection
from alerting.respond.channels import build_channels
from alerting.respond.channels.webhook import WebhookConfig
from alerting.respond.delivery import deliver
from alerting.respond.notice import Notice
from models.state import Incident, IncidentEvent, NoticeDelivery
from tests.alerting.conftest import NOW, add_burst, add_series, spike_rule

MIN = timedelta(minutes=1)


def notice(runtime) -> Notice:
    with runtime.state.session() as session:
        incident = Incident(rule="negative-spike", title="负面激增", opened_at=NOW,
                            last_fired_at=NOW)
        session.add(incident)
        session.flush()
        return Notice.for_incident(incident, "http://koubei.example")


def test_a_key_is_sent_once_and_a_failed_one_retried(runtime, webhook_receiver):
    receiver = webhook_receiver(failures=[400])  # refused: a failure not retried at once
    channels = build_channels([WebhookConfig(name="hook", type="webhook", url=receiver.url)])
    sent = notice(runtime)
    [failed] = deliver(sent, ["hook"], channels, ledger=runtime.state)
    assert not failed.ok and receiver.payloads() == []
    [retried] = deliver(sent, ["hook"], channels, ledger=runtime.state)
    assert retried.ok and len(receiver.payloads()) == 1
    assert deliver(sent, ["hook"], channels, ledger=runtime.state) == []  # sent: skipped
    assert len(receiver.payloads()) == 1
    # another occasion (a realert after an earlier notice) is a new key
    realert = deliver(sent, ["hook"], channels, ledger=runtime.state, occasion="12:00")
    assert [d.ok for d in realert] == [True] and len(receiver.payloads()) == 2
    with runtime.state.session() as session:
        rows = session.scalars(select(NoticeDelivery).order_by(NoticeDelivery.key)).all()
        assert [(r.kind, r.status) for r in rows] == [("opened", "sent"), ("opened", "sent")]
    for channel in channels.values():
        channel.close()


def test_a_successor_does_not_notify_again_what_a_dead_leader_sent(configure, webhook_receiver):
    receiver = webhook_receiver()
    rules = [spike_rule(channels=["hook"])]
    hooks = [WebhookConfig(name="hook", type="webhook", url=receiver.url)]
    leader, successor = configure(rules=rules, channels=hooks), configure(rules=rules,
                                                                         channels=hooks)
    add_series(leader.store, NOW - timedelta(hours=2), NOW + timedelta(hours=2), 10 * MIN)
    add_burst(leader.store, 24, end=NOW + 2 * MIN, span=8 * MIN)
    [opened] = run_detection(leader, now=NOW).changes
    assert opened.notified == ["hook"] and len(receiver.payloads()) == 1
    # the leader was killed after the webhook answered, before it recorded the outcome
    with leader.state.session() as session:
        session.execute(delete(IncidentEvent).where(IncidentEvent.kind == "notified"))
        session.execute(update(Incident).values(last_notified_at=None))
    [fired] = run_detection(successor, now=NOW + MIN).changes
    assert fired.action == "fired" and fired.notified == []
    assert len(receiver.payloads()) == 1  # never twice
