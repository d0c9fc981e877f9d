"""Notification channels, one module each, found by the config's ``type`` in ``CHANNEL_TYPES``.

A channel type is one module here (its config model and its ``Channel`` subclass) plus one
entry in ``CHANNEL_TYPES``; a deployment's own type is named by its dotted path as ``type:``.

``build_channels`` never fails as a whole: a channel that cannot be built (say its secret's
environment variable is missing) is logged and replaced by an ``UnavailableChannel``, so every
notification meant for it is recorded as failed, with the reason, on the incident.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable

from alerting.exceptions import AlertingError, ChannelConfigError
from alerting.respond.channels.base import Channel, RetryableFailure, UnavailableChannel
from alerting.respond.channels.dingtalk import DingTalkChannel
from alerting.respond.channels.email import EmailChannel
from alerting.respond.channels.feishu import FeishuChannel
from alerting.respond.channels.slack import SlackChannel
from alerting.respond.channels.sms import SmsChannel
from alerting.respond.channels.webhook import WebhookChannel
from alerting.respond.channels.wecom import WeComChannel
from models.config import ChannelBase
from models.exceptions import PluginError
from models.plugins import Registry

log = logging.getLogger(__name__)

CHANNEL_TYPES = Registry("channel", Channel, ChannelBase, [
    WebhookChannel, EmailChannel, WeComChannel, DingTalkChannel, FeishuChannel, SlackChannel,
    SmsChannel])

__all__ = ["CHANNEL_TYPES", "Channel", "DingTalkChannel", "EmailChannel", "FeishuChannel",
           "RetryableFailure", "SlackChannel", "SmsChannel", "UnavailableChannel",
           "WeComChannel", "WebhookChannel", "build_channel", "build_channels"]


def build_channel(config: Any, **options: Any) -> Channel:
    """Instantiate the channel type named by ``config.type`` (a built-in name or a dotted
    path). Raises ``ChannelConfigError``."""
    try:
        cls = CHANNEL_TYPES.resolve(str(getattr(config, "type", None)))
    except PluginError as exc:
        raise ChannelConfigError(f"channel {getattr(config, 'name', '?')!r}: {exc}") from None
    return cls(config, **options)


def build_channels(configs: Iterable[Any]) -> dict[str, Channel]:
    """``{name: channel}`` for every configured channel (see the module docstring)."""
    channels: dict[str, Channel] = {}
    for config in configs:
        try:
            channels[config.name] = build_channel(config)
        except AlertingError as exc:
            log.error("%s", exc)
            channels[config.name] = UnavailableChannel(config, str(exc))
        else:
            log.info("channel enabled: %s (%s)", config.name, config.type)
    return channels
