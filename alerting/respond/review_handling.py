"""The handler's workflow on single reviews, beside the incident workflow (``workflow``).

    (untouched) ──assign──► assigned ──handle──► handled ──reopen──► assigned
         └──────────────────handle──────────────────┘

A review with no ``ReviewHandling`` row is untouched. ``assign`` names who should answer it
(allowed until it is handled; assigning again hands it over); ``handle`` records what was done
(``OUTCOMES``: replied on the platform, refunded, escalated to a team, or something else, which
then needs a note); ``reopen`` puts a handled review back to its assignee (or the person who
reopens it). Each step is a ``ReviewEvent`` on the review's timeline.

The caller passes the ``Review`` itself (already checked to be in the actor's scope): its
entities are copied onto the row for scoping reads and its ``crawled_at`` starts the clock for
time to handle. ``assign_many`` / ``handle_many`` apply one step to many reviews in one
transaction and report the ones it did not apply to, with the reason, instead of failing all.

Every step raises ``ReviewHandlingError`` (naming the review) when it does not apply, and
never touches the review's row otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from alerting.exceptions import AlertingError
from alerting.respond.workflow import checked_note
from models.review import Review, utcnow
from models.state import ReviewEvent, ReviewHandling, StateDB, User

OUTCOMES = ("replied", "refunded", "escalated", "other")
STATUSES = ("assigned", "handled")
MayHandle = Callable[[User, Review], bool]


class ReviewHandlingError(AlertingError):
    pass


@dataclass
class BulkResult:
    """What a bulk step did: the review ids it applied to and, for the rest, why not."""
    done: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def _row(session: Session, review: Review, at: datetime) -> ReviewHandling:
    row = session.get(ReviewHandling, review.id)
    if row is None:
        row = ReviewHandling(review_id=review.id, status="assigned", arrived_at=review.crawled_at)
        session.add(row)
    row.entities = list(review.entities)
    row.updated_at = at
    return row


def _user(session: Session, username: str) -> User | None:
    user = session.scalars(select(User).where(User.username == username)).first()
    return None if user is None or user.disabled else user


def _assign(session: Session, review: Review, actor: str, user: User | None, assignee: str,
            at: datetime, may_handle: MayHandle) -> ReviewHandling:
    if user is None:
        raise ReviewHandlingError(f"review {review.id}: cannot assign to {assignee!r}, "
                                  "no such active user")
    if not may_handle(user, review):
        raise ReviewHandlingError(f"review {review.id}: {assignee!r} cannot handle it (role "
                                  "or brand scope)")
    existing = session.get(ReviewHandling, review.id)
    if existing is not None and existing.status == "handled":
        raise ReviewHandlingError(f"review {review.id} is already handled; reopen it first")
    row = _row(session, review, at)
    row.status, row.assignee = "assigned", assignee
    session.add(ReviewEvent(handling=row, at=at, kind="assigned", actor=actor,
                            detail={"assignee": assignee}))
    return row


def _handle(session: Session, review: Review, actor: str, outcome: str, note: str,
            at: datetime) -> ReviewHandling:
    note = checked_note(note, f"review {review.id}", ReviewHandlingError)
    if outcome not in OUTCOMES:
        raise ReviewHandlingError(f"review {review.id}: unknown outcome {outcome!r}; expected "
                                  f"one of {', '.join(OUTCOMES)}")
    if outcome == "other" and not note:
        raise ReviewHandlingError(f"review {review.id}: say what was done (a note) when the "
                                  "outcome is 'other'")
    existing = session.get(ReviewHandling, review.id)
    if existing is not None and existing.status == "handled":
        raise ReviewHandlingError(f"review {review.id} is already handled (by "
                                  f"{existing.handled_by})")
    row = _row(session, review, at)
    row.status, row.outcome, row.note = "handled", outcome, note
    row.handled_at, row.handled_by = at, actor
    if row.assignee is None:
        row.assignee = actor  # whoever handled it owned it
    session.add(ReviewEvent(handling=row, at=at, kind="handled", actor=actor,
                            detail={"outcome": outcome, "note": note}))
    return row


def assign(state: StateDB, review: Review, actor: str, assignee: str,
           at: datetime | None = None,
           may_handle: MayHandle = lambda user, review: True) -> ReviewHandling:
    """Assign ``review`` to the active user ``assignee``; ``may_handle`` (the caller's access
    rule) refuses a user who could not see or act on it."""
    assignee = assignee.strip()
    with state.session() as session:
        return _assign(session, review, actor, _user(session, assignee), assignee,
                       at or utcnow(), may_handle)


def handle(state: StateDB, review: Review, actor: str, outcome: str, note: str = "",
           at: datetime | None = None) -> ReviewHandling:
    """Mark ``review`` handled by ``actor`` with ``outcome`` and a note of what was done."""
    with state.session() as session:
        return _handle(session, review, actor, outcome, note, at or utcnow())


def reopen(state: StateDB, review_id: str, actor: str,
           at: datetime | None = None) -> ReviewHandling:
    at = at or utcnow()
    with state.session() as session:
        row = session.get(ReviewHandling, review_id)
        if row is None or row.status != "handled":
            raise ReviewHandlingError(f"review {review_id} is not handled; nothing to reopen")
        row.status, row.outcome, row.note = "assigned", None, ""
        row.handled_at, row.handled_by, row.updated_at = None, None, at
        row.assignee = row.assignee or actor
        session.add(ReviewEvent(handling=row, at=at, kind="reopened", actor=actor, detail={}))
        return row


def _bulk(state: StateDB, reviews: Iterable[Review],
          step: Callable[[Session, Review], object]) -> BulkResult:
    result = BulkResult()
    with state.session() as session:
        for review in reviews:
            try:  # every step checks before it writes, so a refusal leaves nothing behind
                step(session, review)
            except ReviewHandlingError as exc:
                result.skipped[review.id] = str(exc)
            else:
                result.done.append(review.id)
    return result


def assign_many(state: StateDB, reviews: Iterable[Review], actor: str, assignee: str,
                at: datetime | None = None,
                may_handle: MayHandle = lambda user, review: True) -> BulkResult:
    at, assignee = at or utcnow(), assignee.strip()
    with state.session() as session:
        user = _user(session, assignee)
    return _bulk(state, reviews, lambda session, review: _assign(
        session, review, actor, user, assignee, at, may_handle))


def handle_many(state: StateDB, reviews: Iterable[Review], actor: str, outcome: str,
                note: str = "", at: datetime | None = None) -> BulkResult:
    at = at or utcnow()
    return _bulk(state, reviews, lambda session, review: _handle(
        session, review, actor, outcome, note, at))


def handlings(state: StateDB, review_ids: Iterable[str]) -> dict[str, ReviewHandling]:
    """The rows (timelines loaded) of those of ``review_ids`` that anyone has touched."""
    ids = list(dict.fromkeys(review_ids))
    found: dict[str, ReviewHandling] = {}
    with state.session() as session:
        for start in range(0, len(ids), 500):  # keep under SQLite's bound-parameter limit
            statement = (select(ReviewHandling).options(selectinload(ReviewHandling.events))
                         .where(ReviewHandling.review_id.in_(ids[start:start + 500])))
            found.update((row.review_id, row) for row in session.scalars(statement))
    return found


def queue(state: StateDB, assignee: str) -> list[ReviewHandling]:
    """The reviews assigned to ``assignee`` and not yet handled, oldest assignment first."""
    statement = (select(ReviewHandling)
                 .where(ReviewHandling.assignee == assignee, ReviewHandling.status == "assigned")
                 .order_by(ReviewHandling.updated_at))
    with state.session() as session:
        return list(session.scalars(statement))


def changed_since(state: StateDB, since: datetime, limit: int = 1000) -> list[ReviewHandling]:
    """Rows assigned, handled or reopened at or after ``since``: the latest ``limit`` changes,
    oldest first."""
    statement = (select(ReviewHandling).where(ReviewHandling.updated_at >= since)
                 .order_by(ReviewHandling.updated_at.desc()).limit(limit))
    with state.session() as session:
        return list(reversed(session.scalars(statement).all()))


def handled_between(state: StateDB, since: datetime,
                    until: datetime | None = None) -> list[ReviewHandling]:
    statement = select(ReviewHandling).where(ReviewHandling.status == "handled",
                                             ReviewHandling.handled_at >= since)
    if until is not None:
        statement = statement.where(ReviewHandling.handled_at < until)
    with state.session() as session:
        return list(session.scalars(statement))


@dataclass
class HandlingFigures:
    """Reviews handled in a period: how many, how fast (``handled_at − arrived_at``), what was
    done and by whom."""
    handled: int = 0
    median_seconds: float | None = None
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_handler: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"handled": self.handled, "median_seconds": self.median_seconds,
                "by_outcome": self.by_outcome, "by_handler": self.by_handler}


def handling_figures(rows: Iterable[ReviewHandling]) -> HandlingFigures:
    figures, seconds = HandlingFigures(), []
    for row in rows:
        if row.status != "handled" or row.handled_at is None:
            continue
        figures.handled += 1
        seconds.append(max((row.handled_at - row.arrived_at).total_seconds(), 0.0))
        figures.by_outcome[row.outcome] = figures.by_outcome.get(row.outcome, 0) + 1
        figures.by_handler[row.handled_by] = figures.by_handler.get(row.handled_by, 0) + 1
    figures.median_seconds = median(seconds) if seconds else None
    figures.by_handler = dict(sorted(figures.by_handler.items(), key=lambda kv: -kv[1]))
    return figures
