"""What the chat-bot channels (WeCom, DingTalk, Feishu, Slack, SMS) share: one JSON POST per
attempt through an injected ``httpx.Client``, error classification, and the alert's text.

A subclass gives ``payload(notice)`` and, when the platform signs requests, ``signed_url`` /
``payload`` use the channel secret; ``check_reply`` reads the platform's answer (these bots
answer HTTP 200 with an error code in the body when they refuse a message).

Failures: transport errors, HTTP 5xx and 429 are retried (``RetryableFailure``); other HTTP
4xx and a refusal in the reply body are final (``DeliveryError``), except the platforms'
rate-limit codes, which subclasses list in ``retry_codes``.
"""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, ClassVar

import httpx

from alerting.exceptions import ChannelConfigError, DeliveryError
from alerting.respond.channels.base import HttpChannel, RetryableFailure
from alerting.respond.channels.email_message import KIND_LABELS, RESOLUTION_LABELS
from alerting.respond.notice import Notice
from models.config import ChannelBase, Duration
from models.redact import redact_url


class ChatBotConfig(ChannelBase):
    """A chat group bot reached through its webhook URL. The URL carries the bot's key, so it
    may come from the environment variable named by ``url_env`` instead of ``url``."""
    url: str | None = None
    url_env: str | None = None
    timeout: Duration = timedelta(seconds=10)


class ChatChannel(HttpChannel):
    retry_codes: ClassVar[frozenset] = frozenset()

    def __init__(self, config: Any, client: httpx.Client | None = None, **retry: Any):
        """Raises ``ChannelConfigError`` without a URL or when a secret variable is unset."""
        super().__init__(config, **retry)
        if getattr(config, "url_env", None):
            self.url = self.secret("url_env")
        elif config.url:
            self.url = config.url
        else:
            raise ChannelConfigError(f"channel {self.name!r} ({self.type_name}): set url or "
                                     "url_env")
        # the platform signing secret, for the types that take one (before the client opens)
        self._secret = (self.secret("secret_env") if getattr(config, "secret_env", None)
                        else None)
        self.use_client(client)

    def payload(self, notice: Notice) -> dict:
        raise NotImplementedError

    def signed_url(self) -> str:
        return self.url

    def headers(self, body: bytes) -> dict[str, str]:
        return {"Content-Type": "application/json; charset=utf-8"}

    def check_reply(self, response: httpx.Response) -> tuple[Any, str] | None:
        """``(code, message)`` when the body says the message was refused, else None."""
        return None

    def deliver(self, notice: Notice) -> None:
        body = json.dumps(self.payload(notice), ensure_ascii=False,
                          separators=(",", ":")).encode()
        url = self.signed_url()
        where = f"POST {redact_url(self.url)}"  # keys ride in the query and in the path
        response = self.post(url, body, self.headers(body), where)
        refused = self.check_reply(response)
        if refused is not None:
            code, message = refused
            reason = f"{where}: refused with code {code}: {message}"
            if code in self.retry_codes:
                raise RetryableFailure(reason)
            raise DeliveryError(self.name, reason)


def json_reply(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def headline(notice: Notice) -> str:
    """"【新告警】云雀手机 负面评论激增" — the first line of every chat message."""
    return f"【{KIND_LABELS.get(notice.kind, notice.kind)}】{notice.title}"


def detail_lines(notice: Notice) -> list[str]:
    """The body lines after the headline, plain text (each platform adds its markup)."""
    lines = [notice.summary]
    if notice.kind == "resolved":
        lines.append("处理结果：" + RESOLUTION_LABELS.get(notice.resolution or "",
                                                      str(notice.resolution))
                     + (f"（{notice.note}）" if notice.note else ""))
    lines.append(f"事件 #{notice.incident_id} · 规则 {notice.rule} · "
                 f"开始于 {notice.local_time(notice.opened_at)}")
    terms = notice.explanation.get("terms") or []
    if terms and notice.kind != "resolved":
        lines.append("突出词语：" + "、".join(str(t.get("term", t)) if isinstance(t, dict)
                                           else str(t) for t in terms[:5]))
    return lines


# Markdown and tag syntax in text that reviews and handlers wrote (titles, terms, notes): a
# note "[点此](http://evil)" must not become a link in the bot's message, nor "<at id=all>"
# a mention of everyone. The full-width forms read the same to people.
_MARKUP = str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］"})


def markdown_safe(text: str) -> str:
    """``text`` for a WeCom/DingTalk/Feishu markdown message: no link, tag or mention syntax."""
    return str(text).translate(_MARKUP)


def buttons(notice: Notice) -> list[tuple[str, str]]:
    """``(label, url)`` for the action buttons: acknowledge (when signed links exist) and open."""
    found = [("确认", notice.acknowledge_link)] if notice.acknowledge_link else []
    return found + [("查看事件", notice.open_link)]
