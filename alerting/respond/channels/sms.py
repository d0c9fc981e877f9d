"""``sms``: a short text message through an SMS gateway's HTTP webhook.

Body: ``{"recipients": [...], "message": "..."}`` as UTF-8 JSON, signed like ``webhook``
(``X-Koubei-Signature: sha256=<hex HMAC of the body>``) when ``secret_env`` is set. The
message is kept to ``MAX_LENGTH`` characters (gateways split longer ones into several billed
parts) and ends with the acknowledge link so the on-call person can act from the phone.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from alerting.respond.channels.chat import ChatChannel, headline
from alerting.respond.channels.webhook import SIGNATURE_HEADER, sign
from alerting.respond.notice import Notice
from models.config import ChannelBase, Duration

MAX_LENGTH = 140


def message(notice: Notice) -> str:
    link = notice.acknowledge_link or notice.open_link
    text = f"【口碑】{headline(notice)[1:].replace('】', '：', 1)}（#{notice.incident_id}）"
    room = MAX_LENGTH - len(link) - 1
    if len(text) > room:
        text = text[:max(room - 1, 0)] + "…"
    return f"{text} {link}"


class SmsConfig(ChannelBase):
    """Text messages through an SMS gateway's HTTP webhook (JSON, HMAC-signed like
    ``webhook``)."""
    type: Literal["sms"]
    url: str
    recipients: list[str] = Field(min_length=1)  # phone numbers, e.g. +8613800000000
    secret_env: str | None = None
    timeout: Duration = timedelta(seconds=10)


class SmsChannel(ChatChannel):
    config_model = SmsConfig
    required_options = frozenset({"url", "recipients"})

    def headers(self, body: bytes) -> dict[str, str]:
        headers = super().headers(body)
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(self._secret, body)
        return headers

    def payload(self, notice: Notice) -> dict:
        return {"recipients": list(self.config.recipients), "message": message(notice)}
