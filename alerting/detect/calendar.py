"""Declared calendar events (618, 双11, launches, planned outages) as rules see them.

A rule asks the calendar three things about the reviews it watches (its entities and
sources): which hours to leave out of a baseline (``excluded``), how much to scale what it
expects in a window (``scale``), and whether a planned outage covers a period (``outage``).
An event with no entities (sources) covers every entity (source).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

from models.config import CalendarEvent


@dataclass(frozen=True)
class Scope:
    """What a rule (or one of its groups) watches; empty means everything."""
    entities: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


class Calendar:
    def __init__(self, events: Iterable[CalendarEvent] = ()):
        self.events: tuple[CalendarEvent, ...] = tuple(events)

    def covering(self, start: datetime, end: datetime, scope: Scope) -> list[CalendarEvent]:
        """Events overlapping ``[start, end)`` that concern ``scope``."""
        return [e for e in self.events
                if e.start < end and start < e.end and _concerns(e, scope)]

    def excluded(self, start: datetime, end: datetime, scope: Scope) -> bool:
        """True when a baseline should leave ``[start, end)`` out (an event ran then)."""
        return bool(self.covering(start, end, scope))

    def scale(self, start: datetime, end: datetime, scope: Scope) -> float:
        """The product of the ``scale`` of the events running in the window (1 if none)."""
        factor = 1.0
        for event in self.covering(start, end, scope):
            factor *= event.scale
        return factor

    def outage(self, start: datetime, end: datetime, scope: Scope) -> CalendarEvent | None:
        """A planned outage overlapping the period, if one was declared."""
        return next((e for e in self.covering(start, end, scope) if e.kind == "outage"), None)


def _concerns(event: CalendarEvent, scope: Scope) -> bool:
    return (_overlaps(event.entities, scope.entities)
            and _overlaps(event.sources, scope.sources))


def _overlaps(declared: Sequence[str], watched: Sequence[str]) -> bool:
    # An event for every entity concerns every rule; a rule over every entity is concerned
    # by any event.
    return not declared or not watched or bool(set(declared) & set(watched))
