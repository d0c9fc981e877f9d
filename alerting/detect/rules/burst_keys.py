"""One group key for one burst across detection ticks.

``emerging_topic`` names a firing after what it found: the most used term of a cluster of
terms that describe one problem. As a burst goes on, another of its terms can overtake the
first, and under the new name (a new group key) the incident manager would open a second
incident for the same burst. ``ongoing_terms`` lists the terms of the rule's active incidents
(in ``RuleContext.incidents``, the state database the run records its incidents in) so that
a cluster sharing a term with one of them keeps that incident's key.
"""
from __future__ import annotations

from sqlalchemy import select

from models.state import Incident, StateDB

ACTIVE = ("open", "acknowledged")  # as alerting.respond.incidents (which imports the rules)


def active_incidents(state: StateDB | None, rule: str) -> list[Incident]:
    """``rule``'s active incidents, oldest first (detached); [] without a state database."""
    if state is None:
        return []
    with state.session() as session:
        return list(session.scalars(
            select(Incident).where(Incident.rule == rule, Incident.status.in_(ACTIVE))
            .order_by(Incident.id)))


def ongoing_terms(state: StateDB | None, rule: str, prefix: str) -> dict[str, set[str]]:
    """``{group_key: terms}`` of ``rule``'s active incidents whose key starts with ``prefix``
    (say ``"term:"`` or ``"yunque/term:"``); the terms are the key's own and the related terms
    of the incident's explanation. Empty without a state database."""
    return {i.group_key: {i.group_key[len(prefix):], *_related(i.explanation)}
            for i in active_incidents(state, rule) if i.group_key.startswith(prefix)}


def keep_key(ongoing: dict[str, set[str]], terms: set[str], fresh: str) -> str:
    """The key of the first ongoing incident sharing one of ``terms`` (taken out of
    ``ongoing``, so two clusters of one tick never share a key), else ``fresh``."""
    for key, known in ongoing.items():
        if known & terms:
            del ongoing[key]
            return key
    return fresh


def _related(explanation: dict) -> list[str]:
    related = explanation.get("related_terms") if isinstance(explanation, dict) else None
    return [t for t in related or [] if isinstance(t, str)]
