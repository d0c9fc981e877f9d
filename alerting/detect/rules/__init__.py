"""Rule types, found by the config's ``type`` through the ``RULE_TYPES`` registry.

A rule type is one module here (its config model and its ``Rule`` subclass) plus one entry
in ``RULE_TYPES``. A deployment registers a type of its own without editing this package by
writing the dotted path of its ``Rule`` subclass as the rule's ``type:`` (see
``models.plugins``).
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
from models.config import RuleBase
from models.exceptions import PluginError
from models.plugins import Registry

RULE_TYPES = Registry("rule", Rule, RuleBase, [
    NegativeSpikeRule, NegativeShareRule, VolumeSpikeRule, RatingDropRule, EmergingTopicRule,
    SourceSilentRule, CrisisKeywordRule])

__all__ = ["CrisisKeywordRule", "EmergingTopicRule", "Firing", "NegativeShareRule",
           "NegativeSpikeRule", "RULE_TYPES", "RatingDropRule", "Rule", "RuleContext",
           "SourceSilentRule", "VolumeSpikeRule", "build_rule"]


def build_rule(config: Any, entity_names: Mapping[str, str] | None = None,
               context: RuleContext | None = None) -> Rule:
    """Instantiate the rule type named by ``config.type`` (a built-in name or a dotted path);
    ``entity_names`` maps entity ids to display names for titles. Raises ``RuleError`` naming
    the rule on an unknown type or a missing required option."""
    try:
        cls = RULE_TYPES.resolve(str(getattr(config, "type", None)))
    except PluginError as exc:
        raise RuleError(f"rule {getattr(config, 'name', '?')!r}: {exc}") from None
    return cls(config, entity_names, context)
