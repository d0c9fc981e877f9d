"""``koubei backtest`` replays stored reviews on a simulated clock and writes JSONL."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import yaml
from click.testing import CliRunner

from models.runtime import DEMO_CONFIG
from tests.alerting.conftest import NOW
from tests.alerting.series import burst, seasonal_series
from web.cli.commands.detect import backtest_command


def write_config(tmp_path, **rule_overrides):
    config = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    config["rules"] = [{"name": "spike", "type": "negative_spike", "window": "30m",
                        "baseline": "7d", "resolve_after": "30m", **rule_overrides},
                       {"name": "crisis", "type": "crisis_keyword", "terms": ["爆炸"]}]
    path = tmp_path / "koubei.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def run(runtime, path, *args):
    return CliRunner().invoke(backtest_command, ["--config", str(path), "--home",
                                                 str(runtime.home), *args])


def test_backtest_writes_the_incidents_rules_would_have_opened(runtime, tmp_path):
    store = runtime.store
    seasonal_series(store, NOW - timedelta(days=8), NOW + timedelta(hours=6), lambda at: 12)
    bursts = burst(store, 20, NOW + timedelta(hours=2), timedelta(minutes=20))
    out = tmp_path / "incidents.jsonl"
    path = write_config(tmp_path)

    result = run(runtime, path, "--from", "2026-11-02T18:00+08:00", "--to",
                 "2026-11-03T02:00+08:00", "--rule", "spike", "--interval", "5m",
                 "--out", str(out))

    assert result.exit_code == 0, result.output
    assert "96 tick(s), rules spike, 1 incident(s)" in result.output
    [incident] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert incident["rule"] == "spike" and incident["group"] == "yunque"  # one brand
    opened = datetime.fromisoformat(incident["opened_at"])
    # The burst runs 13:40-14:00 UTC; detection at 5-minute ticks sees it during the burst.
    assert NOW + timedelta(hours=1, minutes=40) < opened <= NOW + timedelta(hours=2)
    # The first negative review of the window the incident opened on.
    first = datetime.fromisoformat(incident["first_review_at"])
    assert opened - timedelta(minutes=30) <= first <= min(r.published_at for r in bursts)
    resolved = datetime.fromisoformat(incident["resolved_at"])
    assert opened < resolved <= NOW + timedelta(hours=3)
    assert incident["metric"] >= 20 and incident["baseline"] < 5
    assert incident["explanation"]["summary"].startswith("云雀手机：近 30 分钟负面评论")


def test_backtest_quiet_history_gives_no_incident_and_a_bad_rule_is_refused(runtime,
                                                                             tmp_path):
    seasonal_series(runtime.store, NOW - timedelta(days=8), NOW, lambda at: 12)
    path = write_config(tmp_path)
    quiet = run(runtime, path, "--from", "2026-11-01T00:00Z", "--to", "2026-11-02T00:00Z",
                "--interval", "10m")
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stdout == ""
    assert "144 tick(s), rules spike, crisis, 0 incident(s)" in quiet.stderr
    unknown = run(runtime, path, "--from", "2026-11-01T00:00Z", "--to", "2026-11-02T00:00Z",
                  "--rule", "nope")
    assert unknown.exit_code == 2 and "unknown rule(s): nope" in unknown.output
