"""Silences hold notifications back (the incident is still recorded) until they end; the CLI."""
from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from alerting.detect.tick import run_detection
from alerting.respond.channels import WebhookChannel
from alerting.respond.channels.webhook import WebhookConfig
from alerting.respond.silences import SilenceError, active_silences, add_silence
from models.state import Incident
from tests.alerting.conftest import NOW, add_burst, add_series, spike_rule
from web.cli import main

MIN = timedelta(minutes=1)


def test_silenced_incident_is_recorded_but_not_notified_until_the_silence_ends(
        configure, webhook_receiver):
    receiver = webhook_receiver()
    hook = WebhookConfig(name="hook", type="webhook", url=receiver.url)
    rt = configure(rules=[spike_rule(channels=["hook"])], channels=[hook])
    channels = {"hook": WebhookChannel(hook)}
    silence = add_silence(rt.state, NOW + 90 * timedelta(seconds=1), "已知故障，已发公告", "li",
                          rule="negative-spike", entity="yunque", now=NOW - MIN)
    add_other = add_silence(rt.state, NOW + 60 * MIN, "另一品牌", "li", entity="yunque-x5",
                            now=NOW - MIN)
    add_series(rt.store, NOW - timedelta(hours=2), NOW + timedelta(hours=2), 10 * MIN)
    add_burst(rt.store, 24, end=NOW + 2 * MIN, span=8 * MIN)

    for minute in (0, 1):
        report = run_detection(rt, now=NOW + minute * MIN, channels=channels)
        assert report.stats["alerting/silenced"] == 1
    assert receiver.attempts == []
    with rt.state.session() as session:
        incident = session.scalars(select(Incident)).one()
        silenced = [e for e in incident.events if e.kind == "silenced"]
    assert len(silenced) == 1  # said once, not on every firing
    until = (NOW + 90 * timedelta(seconds=1)).isoformat()
    assert silenced[0].detail == {"silence": silence.id, "until": until, "reason": "已知故障，已发公告"}
    assert incident.last_notified_at is None

    after = run_detection(rt, now=NOW + 2 * MIN, channels=channels)  # the silence is over
    assert len(after.firings) == 1
    assert [p["id"] for p in receiver.payloads()] == [incident.id]
    assert [s.id for s in active_silences(rt.state, NOW + 2 * MIN)] == [add_other.id]


def test_a_silence_needs_a_reason_and_a_future_end(runtime):
    with pytest.raises(SilenceError, match="needs a reason"):
        add_silence(runtime.state, NOW + MIN, "  ", "li", now=NOW)
    with pytest.raises(SilenceError, match="must end in the future"):
        add_silence(runtime.state, NOW - MIN, "原因", "li", now=NOW)


def test_silences_cli(home):
    runner = CliRunner()
    added = runner.invoke(main, ["silences", "add", "--rule", "negative-spike", "--for", "2h",
                                 "--reason", "版本发布观察期", "--home", str(home)])
    assert added.exit_code == 0, added.output
    assert added.output.startswith("silence #1 until ")
    listed = runner.invoke(main, ["silences", "list", "--home", str(home)]).output
    assert listed.startswith("#1\tnegative-spike\t*\t") and listed.endswith("\t版本发布观察期\n")
    unknown = runner.invoke(main, ["silences", "add", "--rule", "nope", "--for", "2h",
                                   "--reason", "x", "--home", str(home)])
    assert unknown.exit_code == 2 and "unknown rule 'nope'" in unknown.output
    both = runner.invoke(main, ["silences", "add", "--for", "2h", "--until", "2030-01-01",
                                "--reason", "x", "--home", str(home)])
    assert both.exit_code == 2 and "exactly one of --for" in both.output
    bad_time = runner.invoke(main, ["silences", "add", "--until", "明天", "--reason", "x",
                                    "--home", str(home)])
    assert bad_time.exit_code == 2 and "--until" in bad_time.output
    assert "expected an ISO-8601 time" in bad_time.output
    assert runner.invoke(main, ["silences", "end", "1", "--home", str(home)]).exit_code == 0
    assert runner.invoke(main, ["silences", "list", "--home", str(home)]).output == ""
    missing = runner.invoke(main, ["silences", "end", "9", "--home", str(home)])
    assert missing.exit_code == 1 and "no silence #9" in missing.output
