"""``koubei detect`` through click's CliRunner on a store with a burst."""
from __future__ import annotations

from datetime import timedelta

import yaml
from click.testing import CliRunner

from models.runtime import DEMO_CONFIG
from models.state import Incident
from tests.alerting.conftest import NOW, add_burst, add_series
from web.cli.commands import detect as detect_module
from web.cli.commands.detect import detect


def _demo_config(tmp_path, receiver):
    config = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    config["channels"][0]["url"] = receiver.url
    path = tmp_path / "koubei.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def test_detect_prints_the_firing_and_the_new_incident(runtime, webhook_receiver, tmp_path,
                                                       monkeypatch):
    monkeypatch.setattr(detect_module, "utcnow", lambda: NOW)  # --at NOW is now
    receiver = webhook_receiver()
    path = _demo_config(tmp_path, receiver)
    add_series(runtime.store, NOW - timedelta(hours=6), NOW - timedelta(minutes=3),
               timedelta(minutes=30))
    add_burst(runtime.store, 21)

    result = CliRunner().invoke(detect, ["--config", str(path), "--home", str(runtime.home),
                                         "--at", "2026-11-02T20:00:00+08:00"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "detection at 2026-11-02T12:00:00+00:00: 1 rule(s) run, 1 firing(s)"
    assert lines[1].startswith("FIRING negative-spike [yunque]: 21 vs expected")
    assert "近 3 分钟负面评论 21 条" in lines[1]
    assert lines[2] == "incident #1 opened: 云雀手机 负面评论激增; notified demo-webhook"
    assert [p["id"] for p in receiver.payloads()] == [1]

    again = CliRunner().invoke(detect, ["--config", str(path), "--home", str(runtime.home),
                                        "--at", "2026-11-02T12:01:00Z"])
    assert again.exit_code == 0, again.output
    assert "incident #1 still firing: 云雀手机 负面评论激增" in again.output
    assert len(receiver.payloads()) == 1


def test_detect_rejects_a_bad_time(runtime):
    result = CliRunner().invoke(detect, ["--home", str(runtime.home), "--at", "tomorrow"])
    assert result.exit_code == 2
    assert "expected an ISO-8601 time" in result.output


def test_detect_at_a_past_time_is_a_dry_run(runtime, webhook_receiver, tmp_path):
    receiver = webhook_receiver()
    path = _demo_config(tmp_path, receiver)
    add_series(runtime.store, NOW - timedelta(hours=6), NOW - timedelta(minutes=3),
               timedelta(minutes=30))
    add_burst(runtime.store, 21)

    result = CliRunner().invoke(detect, ["--config", str(path), "--home", str(runtime.home),
                                         "--at", "2026-11-02T20:00:00+08:00"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "detection at 2026-11-02T12:00:00+00:00: 1 rule(s) run, 1 firing(s)"
    assert lines[1].startswith("dry run: --at is not now")
    assert lines[2].startswith("WOULD FIRE negative-spike [yunque]: 21 vs expected")
    assert len(lines) == 3  # no incident line
    assert receiver.attempts == []
    with runtime.state.session() as session:
        assert session.query(Incident).count() == 0
