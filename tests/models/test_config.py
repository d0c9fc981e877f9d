from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from models.exceptions import ConfigError
from models.loader import load_config, parse_config
from models.runtime import DEMO_CONFIG
from web.cli.commands.data import config_check
from web.runtime import PLUGINS


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, PLUGINS, "koubei.yaml")
    return [str(p) for p in info.value.problems]


def test_the_bundled_demo_config_is_valid():
    config = load_config(DEMO_CONFIG, PLUGINS)
    assert config.source("demo-appstore").base_url == "http://127.0.0.1:8081"
    assert config.rules[0].window == timedelta(minutes=3)
    assert config.language == "zh-CN"


def test_an_empty_file_gives_the_defaults():
    config = parse_config("", PLUGINS, "empty.yaml")
    assert config.timezone == "Asia/Shanghai" and config.sources == []


def test_malformed_yaml_names_file_line_and_column():
    assert problems("sources:\n  - name: a\n    type: [appstore\n") == [
        "koubei.yaml: invalid YAML: line 4, column 1: expected ',' or ']', but got '<stream end>'"]


def test_top_level_must_be_a_mapping():
    assert problems("- a\n- b\n") == ["koubei.yaml: expected a mapping at the top level"]


def test_every_problem_is_reported_with_its_key_path():
    text = """
timezone: Mars/Olympus
sources:
  - name: ok
    type: appstore
    app_id: "123"
    interval: soon
  - name: bad
    type: appstore
    colour: blue
  - name: weird
    type: telepathy
channels:
  - {name: mail, type: email, host: localhost, sender: a@b.c, recipients: []}
"""
    assert problems(text) == [
        "koubei.yaml: timezone: expected an IANA timezone such as Asia/Shanghai, got 'Mars/Olympus'",
        "koubei.yaml: sources[0].interval: expected a duration such as 30s, 10m, 2h or 7d, got 'soon'",
        "koubei.yaml: sources[1].app_id: required key is missing",
        "koubei.yaml: sources[1].colour: unknown key",
        "koubei.yaml: sources[2]: unknown type 'telepathy'; expected one of 'appstore', 'file', "
        "'bilibili', 'douban', 'jd', 'weibo', 'ctrip', 'rss', 'html', 'jsonapi', 'heimao', 'zhihu', "
        "'xhs', 'douyin', 'dianping', 'wechat_mp', or a dotted path pkg.module.Class",
        "koubei.yaml: channels[0].recipients: List should have at least 1 item after validation, not 0",
    ]


def test_references_must_resolve_and_names_be_unique():
    text = """
entities:
  - {id: yunque, name: 云雀, keywords: [云雀]}
  - {id: x5, name: X5, keywords: [X5], parent: nobody}
sources:
  - {name: s, type: appstore, app_id: "1", entities: [yunque, ghost]}
  - {name: s, type: appstore, app_id: "2"}
rules:
  - {name: r, type: negative_spike, channels: [pager], sources: [nowhere]}
users:
  - {username: amy, entities: [yunque, "*", lost]}
"""
    assert problems(text) == [
        "koubei.yaml: sources[1].name: duplicate name 's'",
        "koubei.yaml: sources[0].entities: unknown entity 'ghost'",
        "koubei.yaml: entities[1].parent: unknown entity 'nobody'",
        "koubei.yaml: rules[0].channels: unknown channel 'pager'",
        "koubei.yaml: rules[0].sources: unknown source 'nowhere'",
        "koubei.yaml: users[0].entities: unknown entity 'lost'",
    ]


def test_one_run_reports_field_errors_references_duplicates_and_urls_together():
    text = """
web: {public_url: "koubei.example.com"}
entities:
  - {id: yunque, name: 云雀, keywords: [云雀], colour: red}
  - {id: yunque, name: 云雀二号, keywords: [云雀]}
rules:
  - {name: r, type: negative_spike, window: soon, channels: [pager], entities: [ghost]}
channels:
  - {name: hook, type: webhook, url: not a url}
  - {name: bot, type: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}
users:
  - {username: amy, entities: ["*"]}
  - {username: amy, entities: [nowhere]}
"""
    assert problems(text) == [
        "koubei.yaml: entities[0].colour: unknown key",
        "koubei.yaml: rules[0].window: expected a duration such as 30s, 10m, 2h or 7d, got 'soon'",
        "koubei.yaml: entities[1].id: duplicate id 'yunque'",
        "koubei.yaml: users[1].username: duplicate username 'amy'",
        "koubei.yaml: rules[0].entities: unknown entity 'ghost'",
        "koubei.yaml: rules[0].channels: unknown channel 'pager'",
        "koubei.yaml: users[1].entities: unknown entity 'nowhere'",
        "koubei.yaml: channels[0].url: not a web address: 'not a url'; expected http:// or "
        "https:// and a host",
        "koubei.yaml: web.public_url: not a web address: 'koubei.example.com'; expected "
        "http:// or https:// and a host",
    ]


def test_a_journey_stage_named_twice_is_reported_with_the_other_problems():
    text = """
touchpoints:
  - {stage: 物流, topics: [物流配送]}
  - {stage: 售后, topics: [售后退换]}
  - {stage: 物流, topics: [包装], colour: red}
"""
    assert problems(text) == [
        "koubei.yaml: touchpoints[2].colour: unknown key",
        "koubei.yaml: touchpoints[2].stage: duplicate stage '物流'",
    ]


@pytest.mark.parametrize("text,expected", [
    ("45", timedelta(seconds=45)), ("90s", timedelta(seconds=90)),
    ("10m", timedelta(minutes=10)), ("1.5h", timedelta(minutes=90)), ("7d", timedelta(days=7)),
])
def test_durations(text, expected):
    config = parse_config(f"detection_interval: {text}", PLUGINS)
    assert config.detection_interval == expected


def test_config_is_frozen():
    config = parse_config("", PLUGINS)
    with pytest.raises(Exception):
        config.timezone = "UTC"


def test_config_check_command(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(DEMO_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    bad.write_text("sources:\n  - {name: s, type: appstore}\n", encoding="utf-8")
    runner = CliRunner()
    ok = runner.invoke(config_check, [str(good)])
    assert (ok.exit_code, ok.stdout) == (0, "ok\n")
    failed = runner.invoke(config_check, [str(bad)])
    assert failed.exit_code == 1
    assert failed.stdout == f"{bad}: sources[0].app_id: required key is missing\n"
    missing = runner.invoke(config_check, [str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 1 and "cannot read the file" in missing.output
