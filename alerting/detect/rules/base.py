"""The rule-type contract and the ``Firing`` record every rule type returns.

A rule type is a class with a ``config_model`` (a ``RuleBase`` subclass whose ``type`` is a
``Literal`` of the name written as ``type:`` in the config; the class's ``type_name`` is set
from it) and the ``required_options`` it reads from its config; ``evaluate`` looks at the review store as of
``now`` and returns one ``Firing`` per group that should alert (none when all is quiet).
Rules only read the store (and, for ``source_silent``, the crawl records); what happens to a
firing is the incident manager's business.

A firing with ``opens=False`` says "still elevated, not significant enough to raise an alarm
on its own": it keeps an open incident of the same rule and group alive (so the incident only
auto-resolves once the metric is back at its baseline) but never opens one.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from alerting.detect.calendar import Calendar, Scope
from alerting.exceptions import RuleError
from models import plugins
from models.config import RuleBase
from models.state import StateDB
from models.store import ReviewQuery, ReviewStore

if TYPE_CHECKING:
    from alerting.detect.explanation import Explained


@dataclass(frozen=True)
class Firing:
    """One rule firing for one group at one detection tick.

    ``group_key`` is "" for an ungrouped rule, else the entity id, source name, topic or
    aspect (``aspect_key``: ``物流配送:negative``) (or the term / review id for rules that group
    by those); ``metric`` is what was observed (e.g.
    the window's negative count), ``baseline`` what was expected; ``explanation`` is a
    JSON-ready dict (see ``alerting.detect.explanation``).
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
    opens: bool = True
    first_review_at: datetime | None = None
    severity: str = "warning"  # critical: notified even in quiet hours and blanket silences
    # a deferred explanation (``alerting.detect.explanation.deferred``): ``explanation`` is
    # empty until ``explained()`` computes it
    deferred: "Explained | None" = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule, self.group_key)

    def explained(self) -> dict[str, Any]:
        """The explanation, computed now if it was deferred (and kept)."""
        if self.deferred is not None:
            object.__setattr__(self, "explanation", self.deferred.details)
            object.__setattr__(self, "deferred", None)
        return self.explanation


@dataclass(frozen=True)
class RuleContext:
    """What rules need beyond their own config: declared events, the timezone that
    hour-of-day means, the relational state (crawl records) and the state database this run
    records incidents in (the live one, or a backtest's scratch one), where a rule can see
    which bursts it already alerted on."""
    calendar: Calendar = field(default_factory=Calendar)
    timezone: str = "Asia/Shanghai"
    state: StateDB | None = None
    incidents: StateDB | None = None
    # each product's brand (an entity's ``parent``): where a group too small for a baseline
    # of its own borrows from
    parents: Mapping[str, str] = field(default_factory=dict)


class Rule(abc.ABC):
    """Base of rule types. ``__init__`` only checks and stores the config."""
    config_model: ClassVar[type[RuleBase]]
    type_name: ClassVar[str]  # config_model's type
    required_options: ClassVar[frozenset[str]] = frozenset()
    default_severity: ClassVar[str] = "warning"  # what the config's ``severity`` defaults to
    # True: with no ``group_by``, a rule not narrowed to one entity groups by entity, so an
    # incident never mixes two brands' reviews.
    groups_by_entity: ClassVar[bool] = False
    # calibrated rules that test several windows at once: the ones they test when the config
    # names none, and the one they test with a per-tick ``p_value`` (see ``windows``)
    default_windows: ClassVar[tuple[timedelta, ...]] = ()
    legacy_window: ClassVar[timedelta | None] = None
    # True: evaluating never reads the explanations of this rule's incidents (unlike
    # ``emerging_topic``'s ongoing terms or ``source_silent``'s broken crawls), so a replay
    # may compute a new peak's explanation once it is over, for the last peak only
    # (``alerting.detect.backtest``); False, the safe default, explains each peak at once
    peaks_later: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        if "config_model" in cls.__dict__:
            cls.type_name = plugins.type_name(cls.config_model)

    def __init__(self, config: Any, entity_names: Mapping[str, str] | None = None,
                 context: RuleContext | None = None):
        missing = sorted(o for o in self.required_options if getattr(config, o, None) is None)
        if missing:
            raise RuleError(f"rule {config.name!r} ({self.type_name}): missing required "
                            f"option(s) {', '.join(missing)}")
        self.config = config
        self.name: str = config.name
        self.entity_names: dict[str, str] = dict(entity_names or {})
        self.context = context or RuleContext()
        self.severity: str = getattr(config, "severity", None) or self.default_severity
        self.group_by: str | None = config.group_by
        if (self.group_by is None and self.groups_by_entity and len(config.entities) != 1
                and (self.entity_names or config.entities)):
            self.group_by = "entity"

    @abc.abstractmethod
    def evaluate(self, store: ReviewStore, now: datetime) -> list[Firing]:
        """Return the firings as of ``now`` (timezone-aware); [] when nothing is wrong."""

    @property
    def windows(self) -> tuple[timedelta, ...]:
        """The windows the rule tests: its config's ``windows``, else its one ``window``,
        else ``default_windows`` when calibrated, or the one window it had before
        calibration (``legacy_window``) when the config asks for a per-tick ``p_value``."""
        c = self.config
        if getattr(c, "windows", None):
            return tuple(sorted(set(c.windows)))
        if getattr(c, "window", None) is not None:
            return (c.window,)
        return self.default_windows if getattr(c, "p_value", None) is None \
            else (self.legacy_window,)

    def periods(self, now: datetime, window: timedelta | None = None
                ) -> tuple[datetime, datetime]:
        """``(window_start, baseline_start)`` at ``now``: the window is ``[now - window, now)``
        (``window`` defaults to the longest the rule tests) and the baseline
        ``[now - baseline, window_start)``, never reaching into the window."""
        window_start = now - (window or max(self.windows))
        return window_start, min(now - self.config.baseline, window_start)

    def query(self, key: str | None, start: datetime, end: datetime,
              sentiments: tuple[str, ...] = ()) -> ReviewQuery:
        """The rule's filters over ``[start, end)``, narrowed to group ``key`` unless None."""
        c = self.config
        by = self.group_by if key is not None else None
        entities = (key,) if by == "entity" else tuple(c.entities)
        sources = (key,) if by == "source" else tuple(c.sources)
        topics = (key,) if by == "topic" else ()
        aspects = (key,) if by == "aspect" else ()
        return ReviewQuery(sources=sources, entities=entities, sentiments=sentiments,
                           topics=topics, aspects=aspects, start=start, end=end)

    def groups(self, store: ReviewStore, start: datetime, end: datetime,
               sentiments: tuple[str, ...] = ()) -> dict[str | None, int]:
        """Counts per group over ``[start, end)`` (``{None: n}`` ungrouped), keeping to the
        rule's own entities when grouped by entity; groups without a value are dropped.
        Grouped by aspect, a rule reading only some sentiments keeps the aspects of those
        polarities: negative reviews group by what they complain about (``物流配送:negative``),
        not by the topics they praise on the way."""
        c, by = self.config, self.group_by
        counts = store.count(self.query(None, start, end, sentiments), group_by=by)
        if by is None:
            return counts
        return {k: n for k, n in counts.items() if k is not None and not (
            by == "entity" and c.entities and k not in c.entities) and not (
            by == "aspect" and sentiments and k.rpartition(":")[2] not in sentiments)}

    def scope(self, key: str | None) -> Scope:
        query = self.query(key, None, None)  # type: ignore[arg-type]
        return Scope(query.entities, query.sources)

    def explained_firing(self, group_key: str, now: datetime, window_start: datetime,
                         metric: float, baseline: float, p_value: float,
                         explained: "Explained") -> Firing:
        """The firing for ``group_key`` over ``[window_start, now)`` carrying ``explained``."""
        return Firing(rule=self.name, group_key=group_key, at=now, metric=metric,
                      baseline=baseline, p_value=p_value, window_start=window_start,
                      window_end=now, title=explained.title, entities=explained.entities,
                      review_ids=explained.review_ids,
                      explanation={} if explained.is_deferred else explained.details,
                      deferred=explained if explained.is_deferred else None,
                      first_review_at=explained.first_review_at, severity=self.severity)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
