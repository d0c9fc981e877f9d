"""``webhook``: POST the notice as JSON to a URL, optionally signed.

Signing: with ``secret_env`` set, the header ``X-Koubei-Signature: sha256=<hex>`` carries the
HMAC-SHA256 of the exact request body under the secret, so the receiver can verify it with
the raw body it got. The body is UTF-8 JSON with Chinese kept as is (not \\u-escaped).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any, Literal

import httpx

from alerting.respond.channels.base import HttpChannel
from alerting.respond.notice import Notice
from models.config import ChannelBase, Duration
from models.redact import redact_url

SIGNATURE_HEADER = "X-Koubei-Signature"


def sign(secret: str, body: bytes) -> str:
    """The ``X-Koubei-Signature`` value for ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def encode_payload(notice: Notice) -> bytes:
    return json.dumps(notice.payload(), ensure_ascii=False, separators=(",", ":")).encode()


class WebhookConfig(ChannelBase):
    type: Literal["webhook"]
    url: str
    secret_env: str | None = None  # HMAC-SHA256 signing secret, from this variable
    headers: dict[str, str] = {}
    timeout: Duration = timedelta(seconds=10)


class WebhookChannel(HttpChannel):
    config_model = WebhookConfig
    required_options = frozenset({"url"})

    def __init__(self, config: Any, client: httpx.Client | None = None, **retry: Any):
        """Raises ``ChannelConfigError`` when ``secret_env`` names an unset variable."""
        super().__init__(config, **retry)
        self._secret = self.secret("secret_env") if config.secret_env else None
        self.use_client(client)

    def deliver(self, notice: Notice) -> None:
        body = encode_payload(notice)
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": "koubei-alerting", **self.config.headers}
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(self._secret, body)
        self.post(self.config.url, body, headers, f"POST {redact_url(self.config.url)}")
