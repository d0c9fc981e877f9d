"""Re-label stored reviews with the current model after a model change (``koubei reanalyze``,
and the admin page ``/admin/reanalyze``), as a job whose progress is kept in
``models.state.ReanalyzeJob``.

The job walks the stored reviews published since ``since`` (all of them without it) in the
store's own order (oldest first, ties by id), analyses each batch again (``Enricher.enrich``:
sentiment and its score, aspects, topics, keywords, tokens, flags; the entities a review is
about are the re-tagging's business and stay as stored) and hands the reviews whose analysis
changed to ``ReviewStore.relabel``, which rewrites them in place:

- a re-labelled review keeps its place in the live feed (it does not show up as new) and no
  store hook runs, so nothing reaches the crisis check again;
- the SQLite roll-ups move it between sentiment buckets in the same transaction, and the
  Elasticsearch documents are rewritten whole (aggregations follow);
- a review rewritten by a crawl while the job ran is left as the crawl wrote it (the crawl
  analysed it with the same model).

After each batch the job records how far it got (the last review's ``published_at`` and id);
``resume`` continues an unfinished job (failed, interrupted, or whose process died) from
there. A failure is recorded on the job, never raised into a background thread.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select

from models.review import Review, utcnow
from models.runtime import Runtime
from models.state import ReanalyzeJob
from models.store import ReviewQuery
from models.store.base import stable_json
from nlp.enrich import Enricher
from nlp.sentiment import SentimentModel

log = logging.getLogger(__name__)
BATCH = 500
RECENT = 5  # jobs listed on the admin page
STALE = timedelta(minutes=10)  # a running job silent this long is taken as dead


class JobRunning(Exception):
    """Another re-labelling job is running (its id is ``job_id``)."""

    def __init__(self, job_id: int):
        super().__init__(f"re-labelling job {job_id} is still running")
        self.job_id = job_id


def enricher_for(runtime: Runtime, model: SentimentModel | None = None) -> Enricher:
    """The analyser as ingest uses it, with ``model`` (default: the current one)."""
    return Enricher(runtime.config.entities, model=model or SentimentModel.load())


def running(runtime: Runtime, now: datetime | None = None) -> ReanalyzeJob | None:
    """The job running now (recorded progress within ``STALE``), if any."""
    horizon = (now or utcnow()) - STALE
    with runtime.state.session() as session:
        return session.scalars(select(ReanalyzeJob).where(
            ReanalyzeJob.status == "running", ReanalyzeJob.updated_at >= horizon)
            .order_by(ReanalyzeJob.id.desc())).first()


def start_job(runtime: Runtime, actor: str, since: datetime | None, model: str) -> int:
    """Record a new job over the reviews published since ``since``; raises ``JobRunning``
    when another one is running."""
    busy = running(runtime)
    if busy is not None:
        raise JobRunning(busy.id)
    total = runtime.store.count(ReviewQuery(start=since)).get(None, 0)
    with runtime.state.session() as session:
        job = ReanalyzeJob(actor=actor, since=since, model=model, total=total)
        session.add(job)
        session.flush()
        return job.id


def job(runtime: Runtime, job_id: int) -> ReanalyzeJob | None:
    with runtime.state.session() as session:
        return session.get(ReanalyzeJob, job_id)


def recent(runtime: Runtime, limit: int = RECENT) -> list[ReanalyzeJob]:
    with runtime.state.session() as session:
        return list(session.scalars(select(ReanalyzeJob).order_by(ReanalyzeJob.id.desc())
                                    .limit(limit)))


def _record(runtime: Runtime, job_id: int, **values) -> ReanalyzeJob:
    with runtime.state.session() as session:
        found = session.get(ReanalyzeJob, job_id)
        for key, value in values.items():
            setattr(found, key, value)
        found.updated_at = utcnow()
        return found


def reopen(runtime: Runtime, job_id: int) -> ReanalyzeJob:
    """Mark job ``job_id`` running (again), before its thread starts."""
    return _record(runtime, job_id, status="running", error=None, finished_at=None)


def reanalyzed(reviews: list[Review], enricher: Enricher) -> list[Review]:
    """Copies of ``reviews`` analysed again by ``enricher``, each keeping its entities."""
    copies = [replace(r, entities=list(r.entities), flags=list(r.flags)) for r in reviews]
    enricher.enrich(copies)
    for copy, review in zip(copies, reviews):
        copy.entities = list(review.entities)
    return copies


def run(runtime: Runtime, job_id: int, enricher: Enricher,
        progress: Callable[[ReanalyzeJob], None] | None = None) -> ReanalyzeJob:
    """Run (or resume) job ``job_id`` to its end; ``progress`` gets the job after each
    batch. Returns the job as it ended: ``done``, or ``failed`` with its error (logged)."""
    current = reopen(runtime, job_id)
    reached = (current.reached_at, current.reached_id or "") if current.reached_at else None
    counts = {k: getattr(current, k) for k in ("done", "relabelled", "written", "skipped")}
    batch: list[Review] = []

    def flush() -> ReanalyzeJob:
        copies = reanalyzed(batch, enricher)
        read = [stable_json(r.to_dict())[1] for r in batch]
        result = runtime.store.relabel(list(zip(read, copies)))
        different = sum(1 for h, c in zip(read, copies) if stable_json(c.to_dict())[1] != h)
        counts["done"] += len(batch)
        counts["relabelled"] += sum(1 for r, c in zip(batch, copies) if _label(r) != _label(c))
        counts["written"] += result.updated
        counts["skipped"] += different - result.updated
        last = batch[-1]
        batch.clear()
        saved = _record(runtime, job_id, reached_at=last.published_at, reached_id=last.id,
                        **counts)
        if progress is not None:
            progress(saved)
        return saved

    try:
        start = reached[0] if reached else current.since
        for review in runtime.store.iter_reviews(ReviewQuery(start=start), batch_size=BATCH):
            if reached and (review.published_at, review.id) <= reached:
                continue
            batch.append(review)
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
        return _record(runtime, job_id, status="done", finished_at=utcnow())
    except Exception as exc:  # recorded on the job: a background thread has no caller
        log.exception("re-labelling job %d failed", job_id)
        return _record(runtime, job_id, status="failed", error=f"{type(exc).__name__}: {exc}",
                       finished_at=utcnow())


def interrupt(runtime: Runtime, job_id: int) -> None:
    """Record that job ``job_id`` was stopped (Ctrl-C): it can be resumed at once."""
    _record(runtime, job_id, status="interrupted", finished_at=utcnow())


def _label(review: Review) -> str | None:
    return review.sentiment.label if review.sentiment else None
