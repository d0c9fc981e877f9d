"""Severity comes from the rule: a crisis is critical from the moment its incident opens, so
its notice never waits for quiet hours or for a blanket silence; and an unacknowledged
incident escalates on a clock that starts at opening, whether or not its notice got through.
Real local webhook receivers, a simulated clock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from alerting.detect import crisis
from alerting.detect.rules.crisis_keyword import CrisisKeywordConfig
from alerting.detect.tick import run_detection
from alerting.respond.channels import WebhookChannel
from alerting.respond.channels.webhook import WebhookConfig
from alerting.respond.silences import add_silence
from models.config import QuietHours, TeamConfig
from models.state import Incident
from tests.alerting.conftest import NOW, add_burst, add_series, spike_rule
from tests.factories import make_review

MIN = timedelta(minutes=1)
MIDNIGHT_BEIJING = datetime(2026, 11, 2, 16, 0, tzinfo=timezone.utc)


def crisis_runtime(configure, hook_url: str, **rule):
    hooks = [WebhookConfig(name="team-hook", type="webhook", url=hook_url)]
    team = TeamConfig(name="care", members=["li"], channels=["team-hook"],
                      quiet_hours=QuietHours(start="22:00", end="08:00"))
    return configure(rules=[CrisisKeywordConfig(name="crisis", type="crisis_keyword",
                                                window="1d", terms=["电池爆炸"], team="care",
                                                **rule)],
                     channels=hooks, teams=[team])


def store_crisis_review(rt, at: datetime):
    text = "充电的时候电池爆炸了，差点伤到孩子"
    review = make_review(label="negative", published_at=at - MIN, text=text, text_norm=text)
    rt.store.upsert([review])
    return crisis.on_stored(rt, [review], now=at)


def events(rt) -> list[str]:
    with rt.state.session() as session:
        incident = session.scalars(select(Incident)).one()
        return [e.kind for e in incident.events]


def test_a_crisis_at_midnight_is_notified_at_once_despite_quiet_hours(configure,
                                                                       webhook_receiver):
    hook = webhook_receiver()
    rt = crisis_runtime(configure, hook.url)

    [change] = store_crisis_review(rt, MIDNIGHT_BEIJING)

    assert change.action == "opened"
    [payload] = hook.payloads()
    assert payload["kind"] == "opened" and payload["severity"] == "critical"
    assert "queued" not in events(rt)
    with rt.state.session() as session:
        assert session.scalars(select(Incident.severity)).one() == "critical"


def test_a_rule_can_declare_its_severity(configure, webhook_receiver):
    hook = webhook_receiver()
    rt = crisis_runtime(configure, hook.url, severity="warning")  # the owner's choice

    store_crisis_review(rt, MIDNIGHT_BEIJING)

    assert hook.attempts == [] and "queued" in events(rt)


def test_a_blanket_silence_never_hides_a_crisis_but_one_naming_the_rule_does(
        configure, webhook_receiver):
    hook = webhook_receiver()
    rt = crisis_runtime(configure, hook.url)
    noon = MIDNIGHT_BEIJING - timedelta(hours=12)
    add_silence(rt.state, noon + timedelta(hours=2), "大促期间降噪", "admin", now=noon - MIN)

    store_crisis_review(rt, noon)
    assert [p["kind"] for p in hook.payloads()] == ["opened"]

    quiet = crisis_runtime(configure, hook.url)
    with quiet.state.session() as session:
        for incident in session.scalars(select(Incident)):
            session.delete(incident)
    add_silence(quiet.state, noon + timedelta(hours=2), "已知召回，已发公告", "admin",
                rule="crisis", now=noon - MIN)
    store_crisis_review(quiet, noon + MIN)
    assert len(hook.payloads()) == 1
    assert "silenced" in events(quiet)


def test_escalation_clock_starts_at_opening_when_the_notice_fails(configure, webhook_receiver):
    boss = webhook_receiver()
    hooks = [WebhookConfig(name="team-hook", type="webhook", url="http://127.0.0.1:1/down"),
             WebhookConfig(name="boss-hook", type="webhook", url=boss.url)]
    team = TeamConfig(name="care", members=["li", "zhao"], channels=["team-hook"],
                      escalate_after="10m", escalation_channels=["boss-hook"])
    rt = configure(rules=[spike_rule(team="care", resolve_after="1d")], channels=hooks,
                   teams=[team])
    channels = {c.name: WebhookChannel(c, backoff=0.01) for c in hooks}
    add_series(rt.store, NOW - timedelta(hours=2), NOW + timedelta(hours=2), 10 * MIN)
    add_burst(rt.store, 24, end=NOW + 2 * MIN, span=8 * MIN)

    run_detection(rt, now=NOW, channels=channels)  # the team's hook is down: nobody is told
    assert "notified" not in events(rt) and boss.attempts == []
    run_detection(rt, now=NOW + 9 * MIN, channels=channels)
    assert boss.attempts == []
    run_detection(rt, now=NOW + 10 * MIN, channels=channels)

    assert [p["kind"] for p in boss.payloads()] == ["escalated"]
    assert "escalated" in events(rt)
