"""The audit log: who changed which rule, entity, channel or user, and when.

``record`` adds an entry in the caller's session, so the entry commits (or rolls back) with
the change it describes; ``entries`` reads the newest first. Actors are usernames for changes
made in the web app, ``cli:<login>`` for the command line. Secrets never enter ``detail``:
callers record which keys changed, with values only for settings (never passwords).
"""
from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.state import AuditEntry, StateDB

KINDS = ("rule", "entity", "channel", "user")


def record(session: Session, actor: str, kind: str, target: str, action: str,
           detail: dict[str, Any] | None = None, at: datetime | None = None) -> None:
    """Add one entry to ``session``; ``ValueError`` for a kind outside ``KINDS``."""
    if kind not in KINDS:
        raise ValueError(f"audit kind must be one of {KINDS}, got {kind!r}")
    entry = AuditEntry(actor=actor, kind=kind, target=target, action=action,
                       detail=detail or {})
    if at is not None:
        entry.at = at
    session.add(entry)


def entries(state: StateDB, kind: str | None = None, limit: int = 200) -> list[AuditEntry]:
    """The newest ``limit`` entries (of ``kind`` when given), newest first."""
    statement = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if kind:
        statement = statement.where(AuditEntry.kind == kind)
    with state.session() as session:
        return list(session.scalars(statement.limit(limit)))


def cli_actor() -> str:
    """The actor of a command-line change: ``cli:`` and the operating-system login."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """``{key: [before, after]}`` for every key whose value differs (absent = None)."""
    return {key: [before.get(key), after.get(key)] for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)}
