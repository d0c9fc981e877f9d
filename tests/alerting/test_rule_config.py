"""Rule and calendar-event config: every rule type loads from YAML; bad values are rejected
with the file and the key path."""
from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.detect.rules import RULE_TYPES, build_rule
from models.exceptions import ConfigError
from models.loader import parse_config
from web.runtime import PLUGINS

GOOD = """
entities:
  - {id: yunque, name: 云雀手机, keywords: [云雀]}
sources:
  - {name: shop, type: file}
events:
  - {name: 双11, kind: sale, start: "2026-11-10T00:00+08:00", end: "2026-11-12T00:00+08:00",
     entities: [yunque], scale: 2.5}
rules:
  - {name: spike, type: negative_spike, group_by: topic}
  - {name: share, type: negative_share, window: 1h}
  - {name: volume, type: volume_spike, direction: down}
  - {name: rating, type: rating_drop, min_drop: 0.5}
  - {name: emerging, type: emerging_topic, fields: [term]}
  - {name: silent, type: source_silent, sources: [shop]}
  - {name: crisis, type: crisis_keyword, terms: [爆胶, 断轴]}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, PLUGINS, "rules.yaml")
    return [str(p) for p in info.value.problems]


def test_every_rule_type_loads_and_builds():
    config = parse_config(GOOD, PLUGINS, "rules.yaml")
    rules = [build_rule(r) for r in config.rules]
    assert [r.type_name for r in rules] == list(RULE_TYPES)
    assert config.rules[1].window == timedelta(hours=1)
    assert config.rules[6].terms == ["爆胶", "断轴"]
    [sale] = config.events
    assert sale.scale == 2.5 and sale.start.utcoffset() == timedelta(hours=8)


def test_bad_rule_options_are_rejected_with_file_and_key():
    text = GOOD.replace("min_drop: 0.5", "min_drop: 9").replace(
        "direction: down", "direction: sideways").replace(
        "group_by: topic", "group_by: mood").replace(
        "terms: [爆胶, 断轴]", "terms: [爆胶], threshold: 3")
    assert problems(text) == [
        "rules.yaml: rules[0].group_by: Input should be 'entity', 'source', 'topic' or 'aspect'",
        "rules.yaml: rules[2].direction: Input should be 'up', 'down' or 'both'",
        "rules.yaml: rules[3].min_drop: Input should be less than or equal to 5",
        "rules.yaml: rules[6].threshold: unknown key"]


def test_an_unknown_rule_type_is_rejected():
    [problem] = problems("rules:\n  - {name: x, type: vibes_check}\n")
    assert problem.startswith("rules.yaml: rules[0]: unknown type 'vibes_check'; expected one "
                              "of 'negative_spike', 'negative_share', 'volume_spike'")


def test_bad_events_are_rejected_with_file_and_key():
    text = GOOD.replace('end: "2026-11-12T00:00+08:00"', 'end: "2026-11-09T00:00+08:00"'
                        ).replace("entities: [yunque], scale", "entities: [nobody], scale")
    assert problems(text) == [
        "rules.yaml: events[0].end: must be after start",
        "rules.yaml: events[0].entities: unknown entity 'nobody'"]
    naive = GOOD.replace('start: "2026-11-10T00:00+08:00"', 'start: "2026-11-10T00:00"')
    [problem] = problems(naive)
    assert problem.startswith("rules.yaml: events[0].start:") and "offset" in problem
