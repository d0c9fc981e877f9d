"""Errors raised by ``alerting``.

    KoubeiError                 (models.exceptions)
     └── AlertingError          anything alerting raises on purpose
          ├── RuleError          a rule cannot be built (unknown type, missing option) or its
          │                      evaluation failed; the message names the rule
          ├── DeliveryError      a notification was not delivered after the bounded retries;
          │                      ``.channel`` names the channel, the message says why
          └── ChannelConfigError a channel cannot be built (unknown type, a secret's
                                 environment variable is missing); the message names the
                                 channel and the key
"""
from __future__ import annotations

from models.exceptions import KoubeiError


class AlertingError(KoubeiError):
    """Base of every error raised by ``alerting``."""


class RuleError(AlertingError):
    pass


class DeliveryError(AlertingError):
    def __init__(self, channel: str, message: str):
        self.channel = channel
        super().__init__(f"channel {channel!r}: {message}")


class ChannelConfigError(AlertingError):
    pass
