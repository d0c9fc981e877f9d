"""The channel contract: ``send(notice)`` delivers one notice or raises ``DeliveryError``.

A channel type is a ``Channel`` subclass whose ``config_model`` (a ``ChannelBase`` subclass)
declares the ``type`` written in the config as a ``Literal``; ``type_name`` is set from it.

Subclasses implement ``deliver`` — one attempt — and raise ``RetryableFailure`` for what may
pass (connection refused, timeouts, HTTP 5xx, SMTP 4xx) or ``DeliveryError`` for what will not
(HTTP 4xx, SMTP 5xx). ``send`` retries the retryable ones a bounded number of times with
exponential backoff, then gives up with ``DeliveryError``.
"""
from __future__ import annotations

import abc
import logging
import os
import ssl
import threading
import time
from typing import Any, Callable, ClassVar

import httpx

from alerting.exceptions import ChannelConfigError, DeliveryError
from alerting.respond.notice import Notice
from models import plugins
from models.config import ChannelBase
from models.redact import install_log_redaction, redact_text

log = logging.getLogger(__name__)

_tls: ssl.SSLContext | None = None
_tls_lock = threading.Lock()


def shared_tls() -> ssl.SSLContext:
    """The TLS context (httpx's default: certifi's CA bundle, or ``SSL_CERT_FILE``) every
    channel's own client verifies servers with, built once per process: loading the CA
    bundle for each client cost 40-200 ms of every crisis notice sent from a crawl."""
    global _tls
    with _tls_lock:
        if _tls is None:
            _tls = httpx.create_ssl_context()
        return _tls


class RetryableFailure(Exception):
    """One attempt failed in a way that may pass; never escapes ``Channel.send``."""


class Channel(abc.ABC):
    config_model: ClassVar[type[ChannelBase]]
    type_name: ClassVar[str]  # config_model's type
    required_options: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        if "config_model" in cls.__dict__:
            cls.type_name = plugins.type_name(cls.config_model)

    def __init__(self, config: Any, *, tries: int = 3, backoff: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep):
        missing = sorted(o for o in self.required_options if not getattr(config, o, None))
        if missing:
            raise ChannelConfigError(f"channel {config.name!r} ({self.type_name}): missing "
                                     f"required option(s) {', '.join(missing)}")
        self.config = config
        self.name: str = config.name
        self.tries, self.backoff, self._sleep = max(tries, 1), backoff, sleep

    def send(self, notice: Notice) -> int:
        """Deliver ``notice``; return the number of attempts it took. Raises ``DeliveryError``."""
        return self.retrying(lambda: self.deliver(notice))

    def retrying(self, attempt_once: Callable[[], None]) -> int:
        """Run ``attempt_once`` until it does not raise ``RetryableFailure`` (bounded, with
        backoff); the number of attempts it took. Raises ``DeliveryError``."""
        failure: RetryableFailure | None = None
        for attempt in range(1, self.tries + 1):
            try:
                attempt_once()
                return attempt
            except RetryableFailure as exc:
                failure = exc
                log.warning("channel %s: attempt %d/%d failed: %s", self.name, attempt,
                            self.tries, redact_text(str(exc)))
            if attempt < self.tries:
                self._sleep(self.backoff * 2 ** (attempt - 1))
        raise DeliveryError(self.name, f"gave up after {self.tries} tries: {failure}")

    @abc.abstractmethod
    def deliver(self, notice: Notice) -> None:
        """One delivery attempt (see the module docstring for what to raise)."""

    def close(self) -> None:
        """Release what the channel opened itself."""

    def secret(self, key: str) -> str:
        """The secret in the environment variable named by the config option ``key``."""
        variable = getattr(self.config, key)
        value = os.environ.get(variable)
        if not value:
            raise ChannelConfigError(f"channel {self.name!r}: {key} names the environment "
                                     f"variable {variable!r}, which is not set")
        return value


class HttpChannel(Channel):
    """A channel that POSTs through an ``httpx.Client`` (injected, or its own, closed by
    ``close``) and classifies the answer: transport errors, HTTP 5xx and 429 are retried,
    other HTTP 4xx are final."""

    def use_client(self, client: httpx.Client | None) -> None:
        """Call once the config is known good, so a refused config opens no client. The
        client's own request log lines carry the URL, so its loggers are redacted first."""
        install_log_redaction()
        self._owns_client = client is None
        self.client = client or httpx.Client(timeout=self.config.timeout.total_seconds(),
                                             verify=shared_tls())

    def post(self, url: str, body: bytes, headers: dict[str, str],
             where: str) -> httpx.Response:
        """One POST of ``body``; ``where`` names it in failures (without secrets)."""
        try:
            response = self.client.post(url, content=body, headers=headers,
                                        timeout=self.config.timeout.total_seconds())
        except httpx.TransportError as exc:
            raise RetryableFailure(f"{where}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise RetryableFailure(f"{where}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise DeliveryError(self.name, f"{where}: HTTP {response.status_code} "
                                           f"{response.text[:200]}")
        return response

    def close(self) -> None:
        if self._owns_client:
            self.client.close()


class UnavailableChannel(Channel):
    """Stands in for a configured channel that could not be built, so that every notification
    meant for it is recorded as failed with the reason instead of silently skipped."""
    type_name = "unavailable"

    def __init__(self, config: Any, reason: str):
        super().__init__(config, tries=1)
        self.reason = reason

    def deliver(self, notice: Notice) -> None:
        raise DeliveryError(self.name, f"not available: {self.reason}")
