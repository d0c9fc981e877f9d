"""Incidents across detection ticks on a simulated clock, against the real state database."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from alerting.detect.rules import Firing
from alerting.detect.tick import run_detection
from alerting.respond.channels import build_channels
from alerting.respond.channels.webhook import WebhookConfig
from alerting.respond.incidents import IncidentManager
from models.state import Incident
from models.store import ReviewQuery
from tests.alerting.conftest import NOW, add_burst, add_series, spike_rule

MIN = timedelta(minutes=1)


def incidents(runtime) -> list[Incident]:
    with runtime.state.session() as session:
        found = session.scalars(select(Incident).order_by(Incident.id)).all()
        for incident in found:
            incident.events  # load the timeline before the session closes
        return found


def kinds(incident: Incident) -> list[str]:
    return [event.kind for event in incident.events]


def test_one_burst_is_one_incident_until_it_resolves(configure, webhook_receiver):
    receiver = webhook_receiver()
    rt = configure(rules=[spike_rule(resolve_after="10m", realert="30m", channels=["hook"])],
                   channels=[WebhookConfig(name="hook", type="webhook", url=receiver.url)])
    add_series(rt.store, NOW - timedelta(hours=2), NOW + timedelta(hours=2), 10 * MIN)
    # Complaints keep coming for eight minutes, so the burst is in the window at every tick.
    add_burst(rt.store, 24, end=NOW + 2 * MIN, span=8 * MIN)

    fired = [run_detection(rt, now=NOW + i * MIN) for i in range(3)]

    assert [len(report.firings) for report in fired] == [1, 1, 1]
    assert [[c.action for c in report.changes] for report in fired] == [
        ["opened"], ["fired"], ["fired"]]
    [incident] = incidents(rt)
    assert incident.status == "open" and incident.opened_at == NOW
    assert incident.last_fired_at == NOW + 2 * MIN
    # the firings that kept it alive are counted in the opening entry, not added to it
    assert kinds(incident) == ["opened", "notified"]
    assert incident.events[0].detail["activity"] == {NOW.isoformat(): 3}
    seen = rt.store.search(ReviewQuery(sentiments=("negative",), start=NOW - 3 * MIN,
                                       end=NOW + 2 * MIN), limit=100).reviews
    assert set(incident.review_ids) == {r.id for r in seen}
    assert [p["id"] for p in receiver.payloads()] == [incident.id]

    quiet = run_detection(rt, now=NOW + 9 * MIN)      # quiet for 7 minutes: still open
    assert quiet.firings == [] and quiet.changes == []
    resolved = run_detection(rt, now=NOW + 12 * MIN)  # quiet for 10 minutes
    assert [(c.incident_id, c.action) for c in resolved.changes] == [
        (incident.id, "auto_resolved")]
    [incident] = incidents(rt)
    assert incident.status == "resolved" and incident.resolved_at == NOW + 12 * MIN
    # the all-clear goes to the channel that was told about it
    assert kinds(incident)[-2:] == ["auto_resolved", "notified"]
    assert incident.events[-1].detail == {"channel": "hook", "attempts": 1, "kind": "resolved"}
    assert resolved.changes[0].notified == ["hook"]

    second = add_burst(rt.store, 12, end=NOW + 60 * MIN, span=2 * MIN)
    again = run_detection(rt, now=NOW + 60 * MIN)
    assert [c.action for c in again.changes] == ["opened"]
    old, new = incidents(rt)
    assert old.status == "resolved" and new.status == "open" and new.id != old.id
    assert set(new.review_ids) == {r.id for r in second}
    assert [(p["id"], p["kind"]) for p in receiver.payloads()] == [
        (old.id, "opened"), (old.id, "resolved"), (new.id, "opened")]
    assert receiver.payloads()[1]["resolution"] == "auto_resolved"


def firing(at, metric, review_ids=("a",), group_key=""):
    return Firing(rule="negative-spike", group_key=group_key, at=at, metric=metric,
                  baseline=0.5, p_value=1e-9, window_start=at - 3 * MIN, window_end=at,
                  title="云雀手机 负面评论激增", entities=("yunque",), review_ids=review_ids,
                  explanation={"summary": f"近 3 分钟负面评论 {metric} 条"})


def test_attaching_keeps_the_peak_and_merges_reviews_and_realerts_after_the_interval(
        runtime, webhook_receiver):
    receiver = webhook_receiver()
    rule = spike_rule(realert="15m", channels=["hook"])
    hook = WebhookConfig(name="hook", type="webhook", url=receiver.url)
    channels = build_channels([hook])
    manager = IncidentManager(runtime.state, channels, clock=lambda: NOW,
                              public_url="https://koubei.example.cn")
    try:
        manager.handle([firing(NOW, 9, ("a", "b"))], [rule])
        manager.handle([firing(NOW + 5 * MIN, 14, ("b", "c"))], [rule])
        manager.handle([firing(NOW + 10 * MIN, 11, ("d",))], [rule])
        manager.handle([firing(NOW + 15 * MIN, 10, ("d",))], {rule.name: rule})
    finally:
        for channel in channels.values():
            channel.close()

    [incident] = incidents(runtime)
    assert incident.metric == 14
    assert incident.explanation == {"summary": "近 3 分钟负面评论 14 条"}
    assert incident.review_ids == ["a", "b", "c", "d"]
    assert kinds(incident) == ["opened", "notified", "notified"]
    opening = incident.events[0].detail
    assert opening["activity"] == {NOW.isoformat(): 4}
    assert opening["peak_at"] == (NOW + 5 * MIN).isoformat()
    assert [p["kind"] for p in receiver.payloads()] == ["opened", "realert"]
    assert receiver.payloads()[0]["link"] == f"https://koubei.example.cn/incidents/{incident.id}"
    assert manager.stats["alerting/incidents_opened"] == 1
    assert manager.stats["alerting/incidents_fired"] == 3
    assert manager.stats["alerting/notified"] == 2


def test_groups_are_separate_incidents_and_acknowledged_ones_still_collect(runtime):
    rule = spike_rule(group_by="entity")
    manager = IncidentManager(runtime.state, {})
    manager.handle([firing(NOW, 9, group_key="yunque"), firing(NOW, 7, group_key="yunque-x5")],
                   [rule])
    with runtime.state.session() as session:
        session.scalars(select(Incident).where(Incident.group_key == "yunque")).one(
        ).status = "acknowledged"
    changes = manager.handle([firing(NOW + MIN, 12, group_key="yunque")], [rule])
    assert [c.action for c in changes] == ["fired"]
    yunque, x5 = incidents(runtime)
    assert (yunque.group_key, yunque.status, yunque.metric) == ("yunque", "acknowledged", 12)
    assert (x5.group_key, x5.status) == ("yunque-x5", "open")

    # Acknowledged incidents are being handled by a person; only open ones auto-resolve.
    resolved = manager.auto_resolve(NOW + 60 * MIN, set(), [rule])
    assert [c.group_key for c in resolved] == ["yunque-x5"]


def test_a_failing_rule_is_reported_and_the_others_still_run(configure):
    broken = spike_rule(name="broken-rule").model_copy(update={"type": "no_such_type"})
    rt = configure(rules=[broken, spike_rule(name="works")], channels=[])
    add_burst(rt.store, 10)
    report = run_detection(rt, now=NOW)
    assert report.rules == ["works"]
    assert list(report.errors) == ["broken-rule"]
    assert "unknown rule type 'no_such_type'" in report.errors["broken-rule"]
    assert [f.rule for f in report.firings] == ["works"]
    assert report.stats["detection/rule_errors"] == 1
    assert report.stats["alerting/incidents_opened"] == 1


def test_disabled_rules_do_not_run(configure):
    rt = configure(rules=[spike_rule(enabled=False)], channels=[])
    add_burst(rt.store, 10)
    report = run_detection(rt, now=NOW)
    assert report.rules == [] and report.firings == [] and incidents(rt) == []
