"""JSON in and out of the app without lone UTF-16 surrogates.

JSON can spell ``"\\ud800"``, a string UTF-8 cannot encode: stored in a comment it would make
every later page and API answer about that incident fail. Request bodies are read with each
lone surrogate replaced by U+FFFD (``crawlers.cleaning.clean_surrogates``), and any that still
reaches a response (stored before this) is replaced the same way when it is written.
"""
from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider

from crawlers.cleaning import clean_surrogates


class CleanJSONProvider(DefaultJSONProvider):
    ensure_ascii = False  # readable Chinese in API responses
    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return clean_surrogates(super().loads(s, **kwargs))

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return clean_surrogates(super().dumps(obj, **kwargs))
