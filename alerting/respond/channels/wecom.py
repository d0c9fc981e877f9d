"""``wecom``: 企业微信 group bot, a markdown message with the action links.

Format: ``{"msgtype": "markdown", "markdown": {"content": ...}}`` POSTed to the bot's webhook
URL (``.../cgi-bin/webhook/send?key=KEY``); the reply is ``{"errcode": 0, "errmsg": "ok"}``
or an error code (45009: over the rate limit, retried). Group bots have no interactive
buttons in markdown, so the actions are links.
"""
from __future__ import annotations

from typing import Literal

from alerting.respond.channels.chat import (
    ChatBotConfig,
    ChatChannel,
    buttons,
    detail_lines,
    headline,
    json_reply,
    markdown_safe,
)
from alerting.respond.notice import Notice

COLOURS = {"opened": "warning", "realert": "warning", "resolved": "info"}


class WeComConfig(ChatBotConfig):
    """企业微信 group bot (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...``)."""
    type: Literal["wecom"]


class WeComChannel(ChatChannel):
    config_model = WeComConfig
    retry_codes = frozenset({45009})

    def payload(self, notice: Notice) -> dict:
        colour = COLOURS.get(notice.kind, "comment")
        lines = [f'<font color="{colour}">{markdown_safe(headline(notice))}</font>']
        lines += [f"> {markdown_safe(line)}" for line in detail_lines(notice)]
        lines.append(" ｜ ".join(f"[{label}]({url})" for label, url in buttons(notice)))
        return {"msgtype": "markdown", "markdown": {"content": "\n".join(lines)}}

    def check_reply(self, response):
        data = json_reply(response)
        code = data.get("errcode", 0)
        return None if code == 0 else (code, data.get("errmsg", ""))

