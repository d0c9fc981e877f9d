"""An entity's keywords, aliases and exclusions against the stored reviews: ``preview`` says
which reviews the edited entity would newly match and which would stop matching; ``retag``
rewrites the stored reviews' ``entities`` accordingly (run in a background thread after a save,
its progress in ``models.state.RetagJob``).

Only the edited entity's membership changes: a review keeps the entity when its source is
about it (``sources[].entities``), gains it when the new terms match its normalised text, and
loses it otherwise. Parents gained with a product are added; a parent is never removed here
(its own keywords may still match).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Iterator, Mapping

from sqlalchemy import select

from models.config import EntityConfig
from models.review import Review, utcnow
from models.runtime import Runtime
from models.state import RetagJob
from models.store import ReviewQuery
from nlp.entities import EntityMatcher

log = logging.getLogger(__name__)
BATCH = 500


@dataclass
class Preview:
    scanned: int = 0
    gained: int = 0
    lost: int = 0
    gained_examples: list[Review] = field(default_factory=list)
    lost_examples: list[Review] = field(default_factory=list)


def source_entities(sources: Iterable) -> dict[str, set[str]]:
    return {s.name: set(s.entities) for s in sources}


def new_entities(review: Review, entity: EntityConfig, matcher: EntityMatcher,
                 by_source: Mapping[str, set[str]]) -> list[str] | None:
    """The review's entities with ``entity`` re-decided; None when unchanged."""
    had = entity.id in review.entities
    has = entity.id in by_source.get(review.source, ()) or \
        entity.id in matcher.match(review.text_norm or review.text)
    if had == has:
        return None
    if has:
        return list(dict.fromkeys([*review.entities, entity.id,
                                   *([entity.parent] if entity.parent else [])]))
    return [e for e in review.entities if e != entity.id]


def _newest(runtime: Runtime, since: datetime, limit: int) -> Iterator[Review]:
    """The stored reviews published since ``since``, newest first, at most ``limit``."""
    cursor, left = None, limit
    while left > 0:
        page = runtime.store.search(ReviewQuery(start=since), min(BATCH, left), cursor)
        yield from page.reviews
        left -= len(page.reviews)
        cursor = page.cursor
        if cursor is None or not page.reviews:
            return


def preview(runtime: Runtime, entity: EntityConfig, since: datetime, limit: int = 20000,
            examples: int = 10) -> Preview:
    """Compare the stored reviews published since ``since`` (the newest ``limit`` of them:
    what the edit changes now matters most) with ``entity`` as edited."""
    matcher, by_source = EntityMatcher([entity]), source_entities(runtime.config.sources)
    result = Preview()
    for review in _newest(runtime, since, limit):
        result.scanned += 1
        changed = new_entities(review, entity, matcher, by_source)
        if changed is None:
            continue
        if entity.id in changed:
            result.gained += 1
            if len(result.gained_examples) < examples:
                result.gained_examples.append(review)
        else:
            result.lost += 1
            if len(result.lost_examples) < examples:
                result.lost_examples.append(review)
    return result


def start_job(runtime: Runtime, entity: str, actor: str) -> int:
    with runtime.state.session() as session:
        job = RetagJob(entity=entity, actor=actor,
                       total=runtime.store.count(ReviewQuery()).get(None, 0))
        session.add(job)
        session.flush()
        return job.id


def _progress(runtime: Runtime, job_id: int, **values) -> None:
    with runtime.state.session() as session:
        job = session.get(RetagJob, job_id)
        for key, value in values.items():
            setattr(job, key, value)


def retag(runtime: Runtime, job_id: int, entity: EntityConfig) -> None:
    """Re-decide ``entity`` on every stored review, in batches, recording progress; a failure
    is recorded on the job (and logged), never raised into the thread."""
    matcher, by_source = EntityMatcher([entity]), source_entities(runtime.config.sources)
    done = added = removed = 0
    batch: list[Review] = []
    try:
        for review in runtime.store.iter_reviews(ReviewQuery(), batch_size=BATCH):
            done += 1
            changed = new_entities(review, entity, matcher, by_source)
            if changed is not None:
                added += entity.id in changed
                removed += entity.id not in changed
                review.entities = changed
                batch.append(review)
            if done % BATCH == 0:
                runtime.store.upsert(batch)
                batch = []
                _progress(runtime, job_id, done=done, added=added, removed=removed)
        runtime.store.upsert(batch)
        _progress(runtime, job_id, done=done, added=added, removed=removed, status="done",
                  finished_at=utcnow())
    except Exception as exc:  # the thread has no caller to raise to
        log.exception("re-tagging %s failed", entity.id)
        _progress(runtime, job_id, status="failed", error=str(exc), finished_at=utcnow())


def job(runtime: Runtime, job_id: int) -> RetagJob | None:
    with runtime.state.session() as session:
        return session.scalars(select(RetagJob).where(RetagJob.id == job_id)).first()
