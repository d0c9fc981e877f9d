"""What ``koubei detect`` prints: a notice held for quiet hours or by a silence is not
reported as if the team had been told, and an elevated firing's line is never left with an
empty summary (issue 21, finding 7)."""
from __future__ import annotations

from datetime import timedelta

from alerting.detect.rules import Firing
from alerting.respond.silences import add_silence
from tests.alerting.conftest import NOW
from tests.alerting.test_crisis_severity import (
    MIDNIGHT_BEIJING,
    crisis_runtime,
    store_crisis_review,
)
from web.cli.commands.detect import change_line, firing_line


def test_an_opened_incident_whose_notice_waits_for_quiet_hours_says_so(configure,
                                                                       webhook_receiver):
    hook = webhook_receiver()
    rt = crisis_runtime(configure, hook.url, severity="warning")  # may wait: not critical
    [change] = store_crisis_review(rt, MIDNIGHT_BEIJING)
    assert hook.attempts == []
    assert change.held == "queued until 2026-11-03T00:00:00+00:00"  # 08:00 in Beijing
    line = change_line(change)
    assert line.startswith(f"incident #{change.incident_id} opened: ")
    assert line.endswith("; notice queued until 2026-11-03T00:00:00+00:00")
    assert "notified" not in line


def test_a_silenced_notice_says_so(configure, webhook_receiver):
    hook = webhook_receiver()
    rt = crisis_runtime(configure, hook.url, severity="warning")
    noon = MIDNIGHT_BEIJING - timedelta(hours=12)
    add_silence(rt.state, noon + timedelta(hours=2), "大促期间降噪", "admin",
                now=noon - timedelta(minutes=1))
    [change] = store_crisis_review(rt, noon)
    assert hook.attempts == [] and change.held == "silenced"
    assert change_line(change).endswith("; notice silenced")


def test_a_notified_incident_line_is_unchanged(configure, webhook_receiver):
    hook = webhook_receiver()
    rt = crisis_runtime(configure, hook.url)  # critical: never waits
    [change] = store_crisis_review(rt, MIDNIGHT_BEIJING)
    assert change.held == "" and change_line(change).endswith("; notified team-hook")


def test_an_elevated_firing_line_says_what_it_does():
    firing = Firing(rule="spike", group_key="yunque", at=NOW, metric=7, baseline=2.5,
                    p_value=0.01, window_start=NOW - timedelta(minutes=30), window_end=NOW,
                    opens=False)
    line = firing_line(firing)
    assert line.startswith("ELEVATED spike [yunque]: 7 vs expected 2.50 (p=0.01) — ")
    assert "keeps an open incident" in line and not line.endswith("— ")
    assert firing_line(firing, dry_run=True).startswith("WOULD STAY ELEVATED spike")
