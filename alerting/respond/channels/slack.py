"""``slack``: Slack incoming webhook, Block Kit with acknowledge / open link buttons.

Format: ``{"text": fallback, "blocks": [header, section (mrkdwn), actions]}``; Slack answers
``ok`` with HTTP 200, and 4xx with a reason (``invalid_payload``, ``no_service``...) which is
final. The incoming-webhook URL is itself the credential, so there is no signature.
"""
from __future__ import annotations

from typing import Literal

from alerting.respond.channels.chat import (
    ChatBotConfig,
    ChatChannel,
    buttons,
    detail_lines,
    headline,
)
from alerting.respond.notice import Notice


def _mrkdwn(text: str) -> str:
    # Slack reads &, < and > as markup: review text must stay text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackConfig(ChatBotConfig):
    """Slack incoming webhook (``https://hooks.slack.com/services/...``)."""
    type: Literal["slack"]


class SlackChannel(ChatChannel):
    config_model = SlackConfig

    def payload(self, notice: Notice) -> dict:
        elements = [{"type": "button", "text": {"type": "plain_text", "text": label},
                     "url": url, **({"style": "primary"} if i == 0 else {})}
                    for i, (label, url) in enumerate(buttons(notice))]
        return {"text": f"{headline(notice)} {notice.open_link}",
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": headline(notice)}},
                    {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(
                        _mrkdwn(line) for line in detail_lines(notice))}},
                    {"type": "actions", "elements": elements}]}
