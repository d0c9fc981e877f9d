"""``email``: send the alert as a multipart mail over SMTP (plain, STARTTLS or SSL).

The password, when a ``username`` is set, comes from the variable named by ``password_env``.
SMTP 4xx replies and dropped connections are retried; 5xx replies are final.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Annotated, Any, Callable, Literal

from pydantic import Field

from alerting.exceptions import ChannelConfigError, DeliveryError
from alerting.respond.channels import email_message
from alerting.respond.channels.base import Channel, RetryableFailure
from alerting.respond.notice import Notice
from models.config import ChannelBase, Duration

log = logging.getLogger(__name__)

SMTPFactory = Callable[[str, int, float], smtplib.SMTP]


def default_smtp_factory(security: str, context: ssl.SSLContext | None = None) -> SMTPFactory:
    if security == "ssl":
        return lambda host, port, timeout: smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=context or ssl.create_default_context())
    return lambda host, port, timeout: smtplib.SMTP(host, port, timeout=timeout)


class EmailConfig(ChannelBase):
    type: Literal["email"]
    host: str
    port: Annotated[int, Field(ge=1, le=65535)] = 25
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password_env: str | None = None
    sender: str
    recipients: list[str] = Field(min_length=1)
    timeout: Duration = timedelta(seconds=10)


class EmailChannel(Channel):
    config_model = EmailConfig
    required_options = frozenset({"host", "sender", "recipients"})

    def __init__(self, config: Any, smtp_factory: SMTPFactory | None = None,
                 ssl_context: ssl.SSLContext | None = None, **retry: Any):
        """Raises ``ChannelConfigError`` when a login is configured without a usable password.
        ``ssl_context`` (default: the system's trusted CAs, hostname checked) verifies the
        server for STARTTLS and SSL."""
        super().__init__(config, **retry)
        self._password = None
        if config.username:
            if not config.password_env:
                raise ChannelConfigError(f"channel {self.name!r}: username is set but "
                                         "password_env is not")
            self._password = self.secret("password_env")
            if not (self._password + config.username).isascii():
                # smtplib encodes AUTH credentials as ASCII and would fail at send time.
                raise ChannelConfigError(f"channel {self.name!r}: username and the password "
                                         f"in {config.password_env!r} must be ASCII for SMTP")
        self.ssl_context = ssl_context
        self.smtp_factory = smtp_factory or default_smtp_factory(config.security, ssl_context)

    def deliver(self, notice: Notice) -> None:
        c = self.config
        self._transmit(email_message.compose(notice, c.sender, c.recipients))

    def send_mail(self, message: EmailMessage) -> int:
        """Send a composed message (a report, say) to the channel's recipients, with the same
        retries as a notice; the number of attempts. Raises ``DeliveryError``."""
        return self.retrying(lambda: self._transmit(message))

    def _transmit(self, message: EmailMessage) -> None:
        c = self.config
        where = f"SMTP {c.host}:{c.port}"
        try:
            with self.smtp_factory(c.host, c.port, c.timeout.total_seconds()) as smtp:
                if c.security == "starttls":
                    smtp.starttls(context=self.ssl_context or ssl.create_default_context())
                if c.username:
                    smtp.login(c.username, self._password)
                refused = smtp.send_message(message, from_addr=parseaddr(c.sender)[1],
                                            to_addrs=[a for _, a in getaddresses(c.recipients)])
        except smtplib.SMTPResponseException as exc:
            reason = f"{where}: {exc.smtp_code} {_text(exc.smtp_error)}"
            if 400 <= exc.smtp_code < 500:
                raise RetryableFailure(reason) from exc
            raise DeliveryError(self.name, reason) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(self.name, f"{where}: every recipient refused: "
                                           f"{sorted(exc.recipients)}") from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise RetryableFailure(f"{where}: connection dropped: {exc}") from exc
        except smtplib.SMTPException as exc:  # before OSError: SMTPException subclasses it
            raise DeliveryError(self.name, f"{where}: {type(exc).__name__}: {exc}") from exc
        except OSError as exc:  # refused, unreachable, timed out, TLS failures
            raise RetryableFailure(f"{where}: {type(exc).__name__}: {exc}") from exc
        if refused:
            # Delivered to the others; retrying would send them a second copy.
            log.warning("channel %s: recipients refused: %s", self.name, sorted(refused))


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
