"""Errors raised by ``models``.

    KoubeiError
     ├── ConfigError        the config file is unreadable or invalid; ``.problems`` lists each
     │                      one with the file, the key path and what was expected
     ├── PluginError        a ``type`` names no source, rule or channel type: unknown, not
     │                      importable, or not a class of the kind asked for (also a ValueError)
     └── StoreError         a review store failed (third-party errors wrapped at the boundary)
          ├── StoreUnavailable   the backend cannot be reached at all
          └── InvalidCursor      a cursor that this store did not issue (also a ValueError)
"""
from __future__ import annotations

from dataclasses import dataclass


class KoubeiError(Exception):
    """Base of every error Koubei raises on purpose."""


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    key: str       # dotted key path such as ``sources[0].app_id``; "" for the whole file
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}" if self.key else f"{self.file}: {self.message}"


class ConfigError(KoubeiError):
    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class PluginError(KoubeiError, ValueError):
    pass


class StoreError(KoubeiError):
    pass


class StoreUnavailable(StoreError):
    pass


class InvalidCursor(StoreError, ValueError):
    pass
