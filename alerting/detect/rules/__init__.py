"""Rule types, found by the config's ``type`` through the ``RULE_TYPES`` registry.

A deployment may register its own type by adding a ``Rule`` subclass to ``RULE_TYPES``.
"""
from __future__ import annotations

from typing import Any, Mapping

from alerting.detect.rules.base import Firing, Rule, RuleContext
from alerting.detect.rules.crisis_keyword import CrisisKeywordRule
from alerting.detect.rules.emerging_topic import EmergingTopicRule
from alerting.detect.rules.negative_share import NegativeShareRule
from alerting.detect.rules.negative_spike import NegativeSpikeRule
from alerting.detect.rules.rating_drop import RatingDropRule
from alerting.detect.rules.source_silent import SourceSilentRule
from alerting.detect.rules.volume_spike import VolumeSpikeRule
from alerting.exceptions import RuleError

RULE_TYPES: dict[str, type[Rule]] = {cls.type_name: cls for cls in (
    NegativeSpikeRule, NegativeShareRule, VolumeSpikeRule, RatingDropRule, EmergingTopicRule,
    SourceSilentRule, CrisisKeywordRule)}

__all__ = ["CrisisKeywordRule", "EmergingTopicRule", "Firing", "NegativeShareRule",
           "NegativeSpikeRule", "RULE_TYPES", "RatingDropRule", "Rule", "RuleContext",
           "SourceSilentRule", "VolumeSpikeRule", "build_rule"]


def build_rule(config: Any, entity_names: Mapping[str, str] | None = None,
               context: RuleContext | None = None) -> Rule:
    """Instantiate the rule type named by ``config.type``; ``entity_names`` maps entity ids
    to display names for titles. Raises ``RuleError`` naming the rule on an unknown type or a
    missing required option."""
    rule_type = getattr(config, "type", None)
    cls = RULE_TYPES.get(rule_type)
    if cls is None:
        raise RuleError(f"rule {getattr(config, 'name', '?')!r}: unknown rule type "
                        f"{rule_type!r}; known types: {', '.join(sorted(RULE_TYPES))}")
    return cls(config, entity_names, context)
