"""Errors raised by ``web``.

    KoubeiError (models.exceptions)
     └── WebError                base of the web layer's own errors
          ├── InvalidParameter   a query-string parameter is malformed or out of range;
          │                      ``.parameter`` names it, ``.message`` says what was expected
          │                      (the API answers 400 ``invalid_parameter``)
          ├── NotFound           a review or incident that does not exist, or that the
          │                      current reader may not see (the API answers 404 ``not_found``)
          └── FontMissing        no CJK TrueType font installed for the PDF briefing

A store's ``InvalidCursor`` is translated into ``InvalidParameter("cursor", ...)`` at the read
boundary (``web.reads``), so views never see backend errors.
"""
from __future__ import annotations

from models.exceptions import KoubeiError


class WebError(KoubeiError):
    """Base of every error the web layer raises on purpose."""


class InvalidParameter(WebError, ValueError):
    def __init__(self, parameter: str, message: str):
        self.parameter = parameter
        self.message = message
        super().__init__(f"{parameter}: {message}")


class NotFound(WebError, LookupError):
    def __init__(self, kind: str, key: object):
        self.kind = kind
        self.key = key
        super().__init__(f"no {kind} {key!r}")


class FontMissing(WebError):
    """No usable CJK TrueType font: the PDF briefing cannot be set (``web.reports.fonts``)."""
