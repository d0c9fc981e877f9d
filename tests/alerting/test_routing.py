"""Routing to teams, weekly on-call, quiet hours (crisis always at once) and escalation, on a
simulated clock (``run_detection(now=...)``) with real local webhook receivers."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from alerting.detect.rules import Firing
from alerting.detect.tick import run_detection
from alerting.respond import workflow
from alerting.respond.channels import WebhookChannel
from alerting.respond.channels.webhook import WebhookConfig
from alerting.respond.incidents import IncidentManager
from alerting.respond.routing import in_quiet_hours, on_call, quiet_until
from models.config import QuietHours, TeamConfig
from models.exceptions import ConfigError
from models.loader import parse_config
from models.state import Incident
from tests.alerting.conftest import NOW, add_burst, add_series, spike_rule
from web.runtime import PLUGINS

MIN = timedelta(minutes=1)
TZ = "Asia/Shanghai"
UTC = timezone.utc


def test_weekly_on_call_turns_at_monday_midnight_local():
    team = TeamConfig(name="care", members=["li", "zhao", "wu"])
    assert on_call(team, datetime(2024, 1, 1, 0, 0, tzinfo=UTC), TZ) == "li"
    # Sunday 23:59 in Beijing is still li's week; Monday 00:30 in Beijing is zhao's
    assert on_call(team, datetime(2024, 1, 7, 15, 59, tzinfo=UTC), TZ) == "li"
    assert on_call(team, datetime(2024, 1, 7, 16, 30, tzinfo=UTC), TZ) == "zhao"
    assert on_call(team, datetime(2024, 1, 15, 12, 0, tzinfo=UTC), TZ) == "wu"
    assert on_call(team, datetime(2024, 1, 22, 12, 0, tzinfo=UTC), TZ) == "li"
    assert on_call(team, datetime(2024, 1, 22, 12, 0, tzinfo=UTC), TZ, offset=1) == "zhao"
    assert on_call(TeamConfig(name="empty"), NOW, TZ) is None


def test_quiet_hours_across_midnight():
    team = TeamConfig(name="care", quiet_hours=QuietHours(start="22:00", end="08:00"))
    local = lambda h, m=0: datetime(2026, 11, 2, h, m, tzinfo=UTC) - timedelta(hours=8)  # noqa: E731
    assert not in_quiet_hours(team, local(21, 59), TZ)
    assert in_quiet_hours(team, local(22, 0), TZ) and in_quiet_hours(team, local(3), TZ)
    assert not in_quiet_hours(team, local(8, 0), TZ)
    assert quiet_until(team, local(23), TZ) == datetime(2026, 11, 3, 0, 0, tzinfo=UTC)
    assert quiet_until(team, local(3), TZ) == datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
    assert not in_quiet_hours(TeamConfig(name="none"), local(3), TZ)


def kinds(rt) -> list[tuple[str, dict]]:
    with rt.state.session() as session:
        incident = session.scalars(select(Incident).order_by(Incident.id)).first()
        return [(e.kind, e.detail) for e in incident.events]


def test_queued_in_quiet_hours_then_sent_then_escalated(configure, webhook_receiver):
    team_hook, boss_hook = webhook_receiver(), webhook_receiver()
    hooks = [WebhookConfig(name="team-hook", type="webhook", url=team_hook.url),
             WebhookConfig(name="boss-hook", type="webhook", url=boss_hook.url)]
    team = TeamConfig(name="care", members=["li", "zhao"], channels=["team-hook"],
                      quiet_hours=QuietHours(start="19:00", end="08:00"),  # NOW is 20:00 local
                      escalate_after="10m", escalation_channels=["boss-hook"])
    rt = configure(rules=[spike_rule(team="care", resolve_after="1d")], channels=hooks,
                   teams=[team])
    channels = {c.name: WebhookChannel(c, backoff=0.01) for c in hooks}
    add_series(rt.store, NOW - timedelta(hours=2), NOW + timedelta(hours=2), 10 * MIN)
    add_burst(rt.store, 24, end=NOW + 2 * MIN, span=8 * MIN)

    for minute in range(3):
        run_detection(rt, now=NOW + minute * MIN, channels=channels)
    events = kinds(rt)
    assert events[1] == ("assigned", {"assignee": on_call(team, NOW, TZ), "on_call": "care"})
    assert [k for k, _ in events].count("queued") == 1
    assert ("queued", {"team": "care", "until": "2026-11-03T00:00:00+00:00"}) in events
    assert team_hook.attempts == [] and boss_hook.attempts == []
    # nobody can acknowledge what nobody was told: no escalation during the night
    run_detection(rt, now=NOW + 3 * 60 * MIN, channels=channels)
    assert "escalated" not in [k for k, _ in kinds(rt)]

    morning = datetime(2026, 11, 3, 0, 0, tzinfo=UTC)  # 08:00 in Beijing
    report = run_detection(rt, now=morning, channels=channels)
    assert [(c.action, c.notified) for c in report.changes] == [("released", ["team-hook"])]
    assert [p["kind"] for p in team_hook.payloads()] == ["opened"]

    run_detection(rt, now=morning + 9 * MIN, channels=channels)
    assert boss_hook.attempts == []
    report = run_detection(rt, now=morning + 10 * MIN, channels=channels)
    assert [(c.action, c.notified) for c in report.changes] == [("escalated", ["boss-hook"])]
    [escalated] = boss_hook.payloads()
    assert escalated["kind"] == "escalated" and escalated["actions"]["acknowledge"]
    next_person = on_call(team, morning + 10 * MIN, TZ, offset=1)
    assert kinds(rt)[-3:-1] == [
        ("escalated", {"after_seconds": 600, "to": next_person, "channels": ["boss-hook"]}),
        ("assigned", {"assignee": next_person, "on_call": "care"})]
    run_detection(rt, now=morning + 30 * MIN, channels=channels)
    assert len(boss_hook.attempts) == 1  # escalated once


def test_acknowledged_incident_is_not_escalated(configure, webhook_receiver):
    hook = webhook_receiver()
    config = WebhookConfig(name="team-hook", type="webhook", url=hook.url)
    team = TeamConfig(name="care", members=["li"], channels=["team-hook"], escalate_after="5m")
    rt = configure(rules=[spike_rule(team="care", resolve_after="1d")], channels=[config],
                   teams=[team])
    channels = {"team-hook": WebhookChannel(config)}
    add_series(rt.store, NOW - timedelta(hours=2), NOW + timedelta(hours=2), 10 * MIN)
    add_burst(rt.store, 9)
    run_detection(rt, now=NOW, channels=channels)  # daytime for this team: sent at once
    assert [p["kind"] for p in hook.payloads()] == ["opened"]
    with rt.state.session() as session:
        incident_id = session.scalars(select(Incident.id)).one()
    workflow.acknowledge(rt.state, incident_id, "li", at=NOW + 2 * MIN)
    run_detection(rt, now=NOW + 20 * MIN, channels=channels)
    assert [p["kind"] for p in hook.payloads()] == ["opened"]


def test_crisis_goes_out_at_once_even_in_quiet_hours(runtime, webhook_receiver):
    hook = webhook_receiver()
    config = WebhookConfig(name="team-hook", type="webhook", url=hook.url)
    team = TeamConfig(name="care", channels=["team-hook"],
                      quiet_hours=QuietHours(start="00:00", end="23:59"))
    rule = spike_rule(name="crisis", team="care")
    with runtime.state.session() as session:
        session.add(Incident(rule="crisis", group_key="", severity="critical", status="open",
                             title="危机评论", opened_at=NOW, last_fired_at=NOW))
    manager = IncidentManager(runtime.state, {"team-hook": WebhookChannel(config)},
                              clock=lambda: NOW, teams=[team])
    firing = Firing(rule="crisis", group_key="", at=NOW, metric=1, baseline=0, p_value=0,
                    window_start=NOW - MIN, window_end=NOW, title="危机评论")
    [change] = manager.handle([firing], [rule])
    assert change.notified == ["team-hook"]
    assert hook.payloads()[0]["severity"] == "critical"


def test_team_config_is_checked_at_load():
    text = """
channels: [{name: hook, type: webhook, url: "http://127.0.0.1:9/h"}]
rules: [{name: spike, type: negative_spike, team: nobody}]
teams:
  - {name: care, channels: [hook, pager], quiet_hours: {start: "22:00", end: "8am"}}
"""
    try:
        parse_config(text, PLUGINS, "teams.yaml")
    except ConfigError as exc:
        message = str(exc)
    else:
        raise AssertionError("the config was accepted")
    assert "teams.yaml: teams[0].quiet_hours.end" in message


def test_team_references_are_checked_at_load():
    text = """
channels: [{name: hook, type: webhook, url: "http://127.0.0.1:9/h"}]
rules: [{name: spike, type: negative_spike, team: nobody}]
teams: [{name: care, channels: [hook, pager], escalation_channels: [boss]}]
"""
    try:
        parse_config(text, PLUGINS, "teams.yaml")
    except ConfigError as exc:
        lines = str(exc).splitlines()
    assert lines == ["teams.yaml: rules[0].team: unknown team 'nobody'",
                     "teams.yaml: teams[0].channels: unknown channel 'pager'",
                     "teams.yaml: teams[0].escalation_channels: unknown channel 'boss'"]
