"""Rule and channel types that are no part of Koubei, registered by writing their dotted path
as the ``type:`` of a rule or channel (tests/alerting/test_plugin_types.py), and classes that
are not rule types."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field

from alerting.detect.rules import Firing, Rule
from alerting.detect.rules.negative_spike import NegativeSpikeConfig
from alerting.respond.channels.webhook import WebhookChannel, WebhookConfig
from models.config import Duration, RuleBase
from models.store import ReviewStore


class NegativeCountConfig(RuleBase):
    type: Literal["tests.alerting.plugin_types.NegativeCountRule"]
    window: Duration = timedelta(minutes=10)
    min_count: Annotated[int, Field(ge=1)] = 3


class NegativeCountRule(Rule):
    """Fires when the window holds at least ``min_count`` negative reviews."""
    config_model = NegativeCountConfig
    required_options = frozenset({"window", "min_count"})

    def evaluate(self, store: ReviewStore, now: datetime) -> list[Firing]:
        start = now - self.config.window
        count = store.count(self.query(None, start, now, ("negative",)))[None]
        if count < self.config.min_count:
            return []
        return [Firing(rule=self.name, group_key="", at=now, metric=count,
                       baseline=self.config.min_count, p_value=1.0, window_start=start,
                       window_end=now, title=f"{count} 条负面评论")]


class MislabelledRule(NegativeCountRule):
    """A rule whose config model declares another type than its own dotted path."""
    config_model = NegativeSpikeConfig


class NotARule:
    """Has a config model, but is no ``Rule``."""
    config_model = NegativeCountConfig


class TaggedWebhookConfig(WebhookConfig):
    type: Literal["tests.alerting.plugin_types.TaggedWebhookChannel"]
    tag: str


class TaggedWebhookChannel(WebhookChannel):
    """A webhook that adds ``X-Tag: <tag>`` to every request."""
    config_model = TaggedWebhookConfig

    def __init__(self, config, client=None, **retry):
        config = config.model_copy(update={"headers": {**config.headers, "X-Tag": config.tag}})
        super().__init__(config, client, **retry)
