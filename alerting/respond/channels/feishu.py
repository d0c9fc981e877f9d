"""``feishu``: 飞书 / Lark custom bot, an interactive card with acknowledge / open buttons.

Signing (签名校验): with ``secret_env`` set, the body carries ``timestamp`` (seconds, as a
string) and ``sign`` = Base64 of HMAC-SHA256 keyed with ``"{timestamp}\\n{secret}"`` over an
empty message (Feishu's scheme: the string to sign is the key). The reply is
``{"code": 0, "msg": "success"}`` (older bots: ``{"StatusCode": 0}``) or an error code
(11232: frequency limited, retried).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any, Callable, Literal

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

TEMPLATES = {"opened": "red", "realert": "orange", "resolved": "green"}


def sign(secret: str, timestamp: int) -> str:
    key = f"{timestamp}\n{secret}".encode("utf-8")
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


class FeishuConfig(ChatBotConfig):
    """飞书 / Lark custom bot; ``secret_env`` names the 签名校验 secret."""
    type: Literal["feishu"]
    secret_env: str | None = None


class FeishuChannel(ChatChannel):
    config_model = FeishuConfig
    retry_codes = frozenset({11232})

    def __init__(self, config: Any, client=None, clock: Callable[[], float] = time.time,
                 **retry: Any):
        super().__init__(config, client, **retry)
        self.clock = clock

    def payload(self, notice: Notice) -> dict:
        actions = [{"tag": "button", "text": {"tag": "plain_text", "content": label},
                    "type": "primary" if i == 0 else "default", "url": url}
                   for i, (label, url) in enumerate(buttons(notice))]
        card = {"config": {"wide_screen_mode": True},
                "header": {"title": {"tag": "plain_text", "content": headline(notice)},
                           "template": TEMPLATES.get(notice.kind, "blue")},
                "elements": [{"tag": "div", "text": {"tag": "lark_md",
                                                     "content": "\n".join(
                                                         map(markdown_safe,
                                                             detail_lines(notice)))}},
                             {"tag": "action", "actions": actions}]}
        body: dict = {"msg_type": "interactive", "card": card}
        if self._secret is not None:
            timestamp = int(self.clock())
            body = {"timestamp": str(timestamp), "sign": sign(self._secret, timestamp), **body}
        return body

    def check_reply(self, response):
        data = json_reply(response)
        code = data.get("code", data.get("StatusCode", 0))
        return None if code == 0 else (code, data.get("msg") or data.get("StatusMessage", ""))
