"""``dingtalk``: 钉钉 custom robot, an ActionCard with acknowledge / open buttons.

Signing (加签): with ``secret_env`` set, every request URL gets ``timestamp`` (milliseconds)
and ``sign`` = URL-encoded Base64 of HMAC-SHA256 keyed with the secret over
``"{timestamp}\\n{secret}"``; DingTalk rejects a timestamp more than an hour off. The reply
is ``{"errcode": 0, "errmsg": "ok"}`` or an error code (130101: sending too fast, retried).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any, Callable, Literal
from urllib.parse import quote_plus

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


def sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` query value for ``timestamp_ms`` (already URL-encoded)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"),
                      hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


class DingTalkConfig(ChatBotConfig):
    """钉钉 custom robot; ``secret_env`` names the 加签 secret (``SEC...``)."""
    type: Literal["dingtalk"]
    secret_env: str | None = None
    at_mobiles: list[str] = []


class DingTalkChannel(ChatChannel):
    config_model = DingTalkConfig
    retry_codes = frozenset({130101})

    def __init__(self, config: Any, client=None, clock: Callable[[], float] = time.time,
                 **retry: Any):
        super().__init__(config, client, **retry)
        self.clock = clock

    def signed_url(self) -> str:
        if self._secret is None:
            return self.url
        timestamp = int(self.clock() * 1000)
        joiner = "&" if "?" in self.url else "?"
        return f"{self.url}{joiner}timestamp={timestamp}&sign={sign(self._secret, timestamp)}"

    def payload(self, notice: Notice) -> dict:
        text = "\n\n".join([f"### {markdown_safe(headline(notice))}",
                            *map(markdown_safe, detail_lines(notice))])
        card = {"title": headline(notice), "text": text, "btnOrientation": "1",
                "btns": [{"title": label, "actionURL": url} for label, url in buttons(notice)]}
        return {"msgtype": "actionCard", "actionCard": card}

    def check_reply(self, response):
        data = json_reply(response)
        code = data.get("errcode", 0)
        return None if code == 0 else (code, data.get("errmsg", ""))
