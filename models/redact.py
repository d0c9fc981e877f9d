"""Secrets out of what is logged and recorded.

Channel credentials live in URLs: WeCom's ``key=`` and DingTalk's ``access_token``/``sign`` in
the query, Feishu's and Slack's webhook tokens in the path, and any URL may carry
``user:password@``. ``redact_url`` keeps what tells a reader where a request went — scheme,
host, port and a plain first path segment — and hides the rest; ``redact_text`` does that to
every URL in a message (or, with ``paths=False``, hides only credentials and secret-named query
parameters, for logs whose URLs are crawled pages). ``RedactingFilter`` applies it to log
records; ``install_log_redaction`` puts it on the HTTP client's loggers (full redaction) and on
the root handlers (credentials and secret parameters)."""
from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

HIDDEN = "…"
URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+")
SECRET_PARAMETER = re.compile(
    r"(?i)\b(key|access_token|token|sign|signature|secret|password|passwd|apikey|api_key|"
    r"auth|ticket|sig)=([^&\s\"'<>]+)")
USERINFO = re.compile(r"(://)[^/@\s\"'<>]+@")
PLAIN_SEGMENT = re.compile(r"[A-Za-z][A-Za-z_-]{0,23}")
HTTP_CLIENT_LOGGERS = ("httpx", "httpcore")


def redact_url(url: str) -> str:
    """``url`` with its query, credentials and all but a plain first path segment hidden:
    ``https://qyapi.weixin.qq.com/cgi-bin/…?…``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return HIDDEN
    if ":" in host:
        host = f"[{host}]"
    segments = [s for s in parts.path.split("/") if s]
    path = ""
    if segments:
        first = segments[0] if PLAIN_SEGMENT.fullmatch(segments[0]) else HIDDEN
        path = f"/{first}" + (f"/{HIDDEN}" if len(segments) > 1 and first != HIDDEN else "")
    query = f"?{HIDDEN}" if parts.query else ""
    return f"{parts.scheme}://{host}{port}{path}{query}"


def redact_text(text: str, paths: bool = True) -> str:
    """``text`` with each URL redacted (``redact_url``); with ``paths=False`` only the
    credentials and secret-named parameters, anywhere in the text."""
    if paths:
        text = URL.sub(lambda m: redact_url(m[0]), text)
    text = USERINFO.sub(rf"\1{HIDDEN}@", text)
    return SECRET_PARAMETER.sub(rf"\1={HIDDEN}", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with ``redact_text`` (never drops a record)."""

    def __init__(self, paths: bool = True):
        super().__init__()
        self.paths = paths

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem to report, not ours
            return True
        record.msg, record.args = redact_text(message, self.paths), None
        return True


FULL = RedactingFilter(paths=True)
CREDENTIALS = RedactingFilter(paths=False)


def install_log_redaction() -> None:
    """Idempotent: the HTTP client's loggers fully redacted, the root handlers' records
    stripped of credentials and secret parameters."""
    for name in HTTP_CLIENT_LOGGERS:
        logging.getLogger(name).addFilter(FULL)
    for handler in logging.getLogger().handlers:
        handler.addFilter(CREDENTIALS)
