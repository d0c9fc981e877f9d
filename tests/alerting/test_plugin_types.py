"""Rule and channel types registered from the config by their dotted path (ElastAlert2's
``get_module``): each loads with its own config model, detection evaluates the rule and
notifies through the channel like built-in types; a dotted path that names no rule type is a
config error naming the file, the key and the expectation."""
from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from click.testing import CliRunner

from alerting.detect.tick import run_detection
from models.exceptions import ConfigError
from models.loader import parse_config
from models.runtime import DEMO_CONFIG, Runtime
from tests.alerting.conftest import NOW, add_burst, add_series
from tests.alerting.plugin_types import NegativeCountConfig, TaggedWebhookConfig
from web.cli.commands.data import config_check
from web.runtime import PLUGINS, wire

PLUGIN = "tests.alerting.plugin_types.NegativeCountRule"
CHANNEL = "tests.alerting.plugin_types.TaggedWebhookChannel"


def config_text(*rules: dict, channels: list[dict] | None = None) -> str:
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    data["rules"] = list(rules)
    if channels is not None:
        data["channels"] = channels
    return yaml.safe_dump(data, allow_unicode=True)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, PLUGINS, "koubei.yaml")
    return [str(p) for p in info.value.problems]


def test_a_rule_type_named_by_dotted_path_is_loaded_and_evaluated(home):
    text = config_text({"name": "many-negatives", "type": PLUGIN, "window": "5m",
                        "min_count": 4})
    config = parse_config(text, PLUGINS, "koubei.yaml")
    [rule] = config.rules
    assert isinstance(rule, NegativeCountConfig)
    assert (rule.window, rule.min_count) == (timedelta(minutes=5), 4)
    runtime = wire(Runtime(config, DEMO_CONFIG, home))
    try:
        assert run_detection(runtime, now=NOW).firings == []
        add_burst(runtime.store, 5)

        report = run_detection(runtime, now=NOW)

        assert report.errors == {}
        [firing] = report.firings
        assert (firing.rule, firing.metric, firing.title) == ("many-negatives", 5, "5 条负面评论")
        assert [c.action for c in report.changes] == ["opened"]
    finally:
        runtime.close()


def test_a_channel_type_named_by_dotted_path_delivers_notices(home, webhook_receiver):
    receiver = webhook_receiver()
    spike = {"name": "spike", "type": "negative_spike", "window": "3m", "baseline": "2h",
             "min_count": 5, "min_ratio": 2, "channels": ["tagged"]}
    text = config_text(spike, channels=[
        {"name": "tagged", "type": CHANNEL, "url": receiver.url, "tag": "ops-7"}])
    config = parse_config(text, PLUGINS, "koubei.yaml")
    [channel] = config.channels
    assert isinstance(channel, TaggedWebhookConfig) and channel.tag == "ops-7"
    runtime = wire(Runtime(config, DEMO_CONFIG, home))
    try:
        add_series(runtime.store, NOW - timedelta(hours=2), NOW, timedelta(minutes=10))
        add_burst(runtime.store, 12)

        report = run_detection(runtime, now=NOW)

        assert [c.action for c in report.changes] == ["opened"]
        [(headers, _)] = receiver.accepted
        assert headers["X-Tag"] == "ops-7"
        [payload] = receiver.payloads()
        assert payload["rule"] == "spike" and payload["id"] == report.changes[0].incident_id
    finally:
        runtime.close()


def test_its_options_are_checked_by_its_own_config_model():
    text = config_text({"name": "many-negatives", "type": PLUGIN, "min_count": 0,
                        "threshold": 3})
    assert problems(text) == [
        "koubei.yaml: rules[0].min_count: Input should be greater than or equal to 1",
        "koubei.yaml: rules[0].threshold: unknown key"]


@pytest.mark.parametrize("rule_type, message", [
    ("tests.alerting.plugin_types.NotARule",
     "rule type 'tests.alerting.plugin_types.NotARule': expected a subclass of "
     "alerting.detect.rules.base.Rule, got <class 'tests.alerting.plugin_types.NotARule'>"),
    ("alerting.respond.channels.webhook.WebhookChannel",
     "rule type 'alerting.respond.channels.webhook.WebhookChannel': expected a subclass of "
     "alerting.detect.rules.base.Rule, got "
     "<class 'alerting.respond.channels.webhook.WebhookChannel'>"),
    ("tests.alerting.no_such_module.SomeRule",
     "rule type 'tests.alerting.no_such_module.SomeRule': cannot import module "
     "'tests.alerting.no_such_module' (ModuleNotFoundError: No module named "
     "'tests.alerting.no_such_module')"),
    ("tests.alerting.plugin_types.NoSuchRule",
     "rule type 'tests.alerting.plugin_types.NoSuchRule': module "
     "'tests.alerting.plugin_types' has no 'NoSuchRule'"),
    ("tests.alerting.plugin_types.MislabelledRule",
     "rule type 'tests.alerting.plugin_types.MislabelledRule': its config model "
     "NegativeSpikeConfig declares type 'negative_spike'; expected "
     "Literal['tests.alerting.plugin_types.MislabelledRule']"),
])
def test_a_dotted_path_to_no_rule_type_names_file_and_key(rule_type, message):
    text = config_text({"name": "ok", "type": "negative_spike"},
                       {"name": "bad", "type": rule_type, "window": "5m"})
    assert problems(text) == [f"koubei.yaml: rules[1].type: {message}"]


def test_it_is_reported_with_the_other_problems_of_the_file():
    text = config_text({"name": "bad", "type": "tests.alerting.plugin_types.NotARule"},
                       {"name": "drop", "type": "rating_drop", "min_drop": 9})
    found = problems(text)
    assert [p.split(": ")[1] for p in found] == ["rules[0].type", "rules[1].min_drop"]


def test_config_check_uses_the_same_plugins(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(config_text({"name": "many-negatives", "type": PLUGIN}), encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(config_text({"name": "x", "type": "tests.alerting.plugin_types.NotARule"}),
                   encoding="utf-8")

    assert CliRunner().invoke(config_check, [str(good)]).stdout == "ok\n"
    result = CliRunner().invoke(config_check, [str(bad)])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{bad}: rules[0].type: rule type "
                                    "'tests.alerting.plugin_types.NotARule': expected a subclass")
