"""JSON in and out of the app without lone UTF-16 surrogates.

JSON can spell ``"\\ud800"``, a string UTF-8 cannot encode: stored in a comment it would make
every later page and API answer about that incident fail. JSON nested deeper than the
interpreter can follow is invalid JSON here (``ValueError``), not a crash. Request bodies are read with each
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
        """Raises ``ValueError`` (a 400, as for any invalid JSON) for nesting deeper than
        Python's recursion allows instead of letting ``RecursionError`` make it a 500."""
        try:
            return clean_surrogates(super().loads(s, **kwargs))
        except RecursionError:
            raise ValueError("the JSON is nested too deeply") from None

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return clean_surrogates(super().dumps(obj, **kwargs))
