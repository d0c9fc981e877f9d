"""The rule-type contract and the ``Firing`` record every rule type returns.

A rule type is a class with a ``type_name`` (the ``type:`` written in the config) and the
``required_options`` it reads from its config; ``evaluate`` looks at the review store as of
``now`` and returns one ``Firing`` per group that should alert (none when all is quiet).
Rules only read the store; what happens to a firing is the incident manager's business.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Mapping

from alerting.exceptions import RuleError
from models.store import ReviewStore


@dataclass(frozen=True)
class Firing:
    """One rule firing for one group at one detection tick.

    ``group_key`` is "" for an ungrouped rule, else the entity id or source name; ``metric``
    is what was observed (e.g. the window's negative count), ``baseline`` what was expected;
    ``explanation`` is a JSON-ready dict (see ``alerting.explanation``).
    """
    rule: str
    group_key: str
    at: datetime
    metric: float
    baseline: float
    p_value: float
    window_start: datetime
    window_end: datetime
    title: str = ""
    entities: tuple[str, ...] = ()
    review_ids: tuple[str, ...] = ()
    explanation: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule, self.group_key)


class Rule(abc.ABC):
    """Base of rule types. ``__init__`` only checks and stores the config."""
    type_name: ClassVar[str]
    required_options: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, config: Any, entity_names: Mapping[str, str] | None = None):
        missing = sorted(o for o in self.required_options if getattr(config, o, None) is None)
        if missing:
            raise RuleError(f"rule {config.name!r} ({self.type_name}): missing required "
                            f"option(s) {', '.join(missing)}")
        self.config = config
        self.name: str = config.name
        self.entity_names: dict[str, str] = dict(entity_names or {})

    @abc.abstractmethod
    def evaluate(self, store: ReviewStore, now: datetime) -> list[Firing]:
        """Return the firings as of ``now`` (timezone-aware); [] when nothing is wrong."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
