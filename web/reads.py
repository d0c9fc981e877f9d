"""Every read the web layer makes of reviews and incidents, in one place.

Views never touch ``runtime.store`` or ``runtime.state`` directly: they call these functions,
which apply the reader's scope (``web.security.access``) and translate store errors into web errors
(an unknown cursor becomes ``InvalidParameter("cursor")``, an absent or hidden record
``NotFound``). The runtime is the one the app was created with (``app.extensions["koubei"]``).
"""
from __future__ import annotations

import copy
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator, TypeVar

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from alerting.respond import review_handling
from alerting.respond.workflow import current_assignee
from crawlers.cleaning import clean_surrogates
from models.exceptions import InvalidCursor
from models.redact import redact_text
from models.review import Review
from models.runtime import Runtime
from models.state import Incident, ReviewHandling
from models.store import Aggregation, ReviewPage, ReviewQuery, TrendPoint
from web.exceptions import InvalidParameter, NotFound
from web.security import access

INCIDENT_STATUSES = ("open", "acknowledged", "resolved")
T = TypeVar("T")


def current_runtime() -> Runtime:
    return current_app.extensions["koubei"]


def search_reviews(query: ReviewQuery, limit: int, cursor: str | None = None) -> ReviewPage:
    """Newest published first; see ``ReviewStore.search``."""
    try:
        return current_runtime().store.search(access.scoped_query(query), limit, cursor)
    except InvalidCursor as exc:
        raise InvalidParameter("cursor", f"unknown cursor ({exc}); start again without one")


def feed_reviews(query: ReviewQuery, limit: int, cursor: str | None = None) -> ReviewPage:
    """Ingest order; see ``ReviewStore.feed``."""
    try:
        return current_runtime().store.feed(cursor, limit, access.scoped_query(query))
    except InvalidCursor as exc:
        raise InvalidParameter("cursor", f"unknown cursor ({exc}); start again without one")


def get_review(review_id: str) -> Review:
    review = current_runtime().store.get(review_id)
    if review is None or not access.can_see_review(review):
        raise NotFound("review", review_id)
    return review


def find_reviews(review_ids: list[str]) -> dict[str, Review]:
    """The stored, visible reviews among ``review_ids`` (absent ones are left out)."""
    stored = current_runtime().store.get_many(review_ids)
    return {rid: review for rid, review in stored.items() if access.can_see_review(review)}


class _Batch:
    """The aggregated reads of one view, recorded on a first run and answered together
    (``prefetched``)."""

    def __init__(self) -> None:
        self.recording = True
        self.asked: dict[Aggregation, None] = {}  # in the order asked, once each
        self.answers: dict[Aggregation, Any] = {}


_batch: ContextVar[_Batch | None] = ContextVar("koubei_reads_batch", default=None)


def _empty(request: Aggregation) -> Any:
    """What a read answers while its view is being recorded: no reviews."""
    if request.method == "count":
        return {None: 0} if not request.args or request.args[0] is None else {}
    return [] if request.method == "trend" else {}


def _aggregate(method: str, query: ReviewQuery, *args: Any) -> Any:
    """One aggregated read of the store, in the reader's scope; inside ``prefetched``,
    recorded on the first run and answered from the batch on the second."""
    request = Aggregation(method, access.scoped_query(query), args)
    batch = _batch.get()
    if batch is not None:
        if batch.recording:
            batch.asked[request] = None
            return _empty(request)
        if request in batch.answers:  # a copy: its items (counts, frozen points) are immutable
            return copy.copy(batch.answers[request])
    return current_runtime().store.aggregate([request])[0]


def prefetched(view: Callable[[], T]) -> T:
    """``view()``, its aggregated reads (counts, cross counts, trends, keyword counts) asked
    of the store all at once: one multi-search on Elasticsearch instead of one request per
    read. ``view`` runs twice: first with every read recorded and answered empty, then for
    real with the reads answered from the store's answers to exactly those requests (a read
    the first run did not make, because it depends on an earlier answer, goes to the store
    as usual). So the result is the one ``view()`` gives alone; ``view`` must only read.
    A store that gains nothing from a batch (``batches_aggregations`` false: SQLite reads
    in-process) runs ``view`` once."""
    if _batch.get() is not None or not current_runtime().store.batches_aggregations:
        return view()
    batch = _Batch()
    token = _batch.set(batch)
    try:
        try:
            view()
        except Exception:  # the real run meets the same error and reports it
            batch.asked.clear()
        batch.recording = False
        asked = list(batch.asked)
        if asked:
            batch.answers = dict(zip(asked, current_runtime().store.aggregate(asked)))
        return view()
    finally:
        _batch.reset(token)


def review_counts(query: ReviewQuery, group_by: str | None = None) -> dict[str | None, int]:
    counts = _aggregate("count", query, group_by)
    if group_by != "entity":
        return counts
    return {key: n for key, n in counts.items() if key is None or access.in_scope([key])}


def review_trend(query: ReviewQuery, interval: timedelta,
                 group_by: str | None = None) -> list[TrendPoint]:
    """The trend in the reader's scope. Grouped by entity, a review about two brands counts
    under both: the groups of entities outside the scope are left out, so their ids and
    counts are not shown."""
    points = _aggregate("trend", query, interval, group_by)
    if group_by != "entity":
        return points
    return [p for p in points if p.key is None or access.in_scope([p.key])]


def list_incidents(status: str | None = None, limit: int = 200) -> list[Incident]:
    """Newest opened first, at most ``limit`` the reader may see; ``status`` one of
    ``INCIDENT_STATUSES``. The scope is applied in Python because ``Incident.entities`` is a
    JSON list, which SQLite and PostgreSQL query differently; incidents are few."""
    statement = (select(Incident).order_by(Incident.opened_at.desc(), Incident.id.desc())
                 .options(selectinload(Incident.events)))
    if status is not None:
        statement = statement.where(Incident.status == status)
    found: list[Incident] = []
    with current_runtime().state.session() as session:
        for incident in session.scalars(statement.execution_options(yield_per=200)):
            if access.can_see_incident(incident):
                found.append(incident)
                if len(found) >= limit:
                    break
    return found


def get_incident(incident_id: int) -> Incident:
    """The incident with its timeline loaded (usable after the session closes), as the reader
    may see it (``for_reader``). Never write the returned object back: it is detached."""
    statement = (select(Incident).where(Incident.id == incident_id)
                 .options(selectinload(Incident.events)))
    with current_runtime().state.session() as session:
        incident = session.scalars(statement).first()
    if incident is None or not access.can_see_incident(incident):
        raise NotFound("incident", incident_id)
    for event in incident.events:  # what was recorded before the boundaries were cleaned
        detail = clean_surrogates(event.detail)
        if isinstance(detail, dict) and isinstance(detail.get("error"), str):
            detail = {**detail, "error": redact_text(detail["error"])}
        event.detail = detail
    incident.title = clean_surrogates(incident.title)
    incident.explanation = clean_surrogates(incident.explanation)
    return for_reader(incident)


def for_reader(incident: Incident) -> Incident:
    """``incident`` as a reader who sees only some of its brands may see it: its review ids,
    representative reviews and the repeated/coordinated texts of its explanation keep only
    reviews in the reader's scope (aggregate counts, terms and topics stay). A reader who
    sees all of its brands gets it unchanged."""
    if access.in_full_scope(incident.entities):
        return incident
    explanation = dict(incident.explanation or {})
    mentioned = [r.get("id") for r in explanation.get("reviews") or [] if isinstance(r, dict)]
    visible = set(find_reviews([i for i in dict.fromkeys(
        [*mentioned, *(incident.review_ids or [])]) if isinstance(i, str)]))
    explanation["reviews"] = [r for r in explanation.get("reviews") or []
                              if isinstance(r, dict) and r.get("id") in visible]
    duplicates = explanation.get("duplicates")
    if isinstance(duplicates, dict):
        explanation["duplicates"] = {**duplicates, "repeated": [
            g for g in duplicates.get("repeated") or [] if _all_in(g, visible)]}
    if explanation.get("coordinated") and not _all_in(explanation["coordinated"], visible):
        explanation["coordinated"] = None
    incident.explanation = explanation
    incident.review_ids = [i for i in incident.review_ids or [] if i in visible]
    return incident


def _all_in(group, visible: set[str]) -> bool:
    ids = group.get("review_ids") if isinstance(group, dict) else None
    return bool(ids) and all(i in visible for i in ids)


def incidents_opened_since(since: datetime, until: datetime | None = None) -> list[Incident]:
    """Every incident opened at or after ``since`` (and before ``until``) the reader may see,
    timelines loaded."""
    statement = (select(Incident).where(Incident.opened_at >= since)
                 .options(selectinload(Incident.events)))
    if until is not None:
        statement = statement.where(Incident.opened_at < until)
    with current_runtime().state.session() as session:
        return [i for i in session.scalars(statement) if access.can_see_incident(i)]


def export_reviews(query: ReviewQuery) -> Iterator[Review]:
    """Every stored review matching ``query`` in the reader's scope (``iter_reviews`` order)."""
    return current_runtime().store.iter_reviews(access.scoped_query(query))


def review_handlings(reviews: list[Review]) -> dict[str, ReviewHandling]:
    """The handling rows (timelines loaded) of ``reviews`` (already visible ones), by id."""
    return review_handling.handlings(current_runtime().state, [r.id for r in reviews])


def review_queue(username: str) -> list[tuple[Review, ReviewHandling]]:
    """The reviews assigned to ``username`` and not yet handled that the reader may see,
    oldest assignment first (a review gone from the store is left out)."""
    rows = review_handling.queue(current_runtime().state, username)
    found = find_reviews([row.review_id for row in rows if access.in_scope(row.entities)])
    return [(found[row.review_id], row) for row in rows if row.review_id in found]


def incident_queue(username: str) -> list[Incident]:
    """The open or acknowledged incidents assigned to ``username`` that the reader may see."""
    statement = (select(Incident).where(Incident.status != "resolved")
                 .options(selectinload(Incident.events))
                 .order_by(Incident.opened_at.desc(), Incident.id.desc()))
    with current_runtime().state.session() as session:
        return [i for i in session.scalars(statement)
                if access.can_see_incident(i) and current_assignee(i) == username]


def handling_changed_since(since: datetime) -> list[ReviewHandling]:
    """Handling rows changed at or after ``since`` that the reader may see."""
    return [row for row in review_handling.changed_since(current_runtime().state, since)
            if access.in_scope(row.entities)]


def reviews_handled_since(since: datetime) -> list[ReviewHandling]:
    """Reviews handled at or after ``since`` that the reader may see."""
    return [row for row in review_handling.handled_between(current_runtime().state, since)
            if access.in_scope(row.entities)]


def review_cross_counts(query: ReviewQuery, rows: str,
                        columns: str) -> dict[tuple[str | None, str | None], int]:
    """``ReviewStore.cross_count`` in the reader's scope: an entity outside it is never a
    key, since the scoped query names only visible entities."""
    return _aggregate("cross_count", query, rows, columns)


def keyword_counts(query: ReviewQuery, limit: int = 50,
                   terms: list[str] | None = None) -> dict[str, int]:
    """``ReviewStore.keyword_counts`` in the reader's scope."""
    return _aggregate("keyword_counts", query, limit, None if terms is None else tuple(terms))
