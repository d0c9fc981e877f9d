"""Crawl checkpoints (``models.state.CrawlCheckpoint``): where a source's last crawl stopped,
and whether the source works.

- The watermark is the newest ``published_at`` among the reviews of the source that are stored;
  ``recent_ids`` are the native ids published exactly at the watermark, so that a review sharing
  that second with an already stored one is still collected next time.
- Only what was actually stored (or found stored and unchanged) moves the watermark: the store
  and dedupe steps call ``note_persisted`` and the runner reads the result from the crawl stats.
  Reviews whose time was estimated never move it.
- A ``file`` source has no watermark; its ``recent_ids`` column holds the keys of the files
  already imported instead (``imported_files``/``record_imported``).
- ``record_success`` sets status ``ok``; ``record_failure`` sets ``broken`` with the error and
  keeps the first ``broken_since`` of an unbroken run of failures.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.review import Review, utcnow
from models.state import CrawlCheckpoint, StateDB

WATERMARK_KEY = "koubei/watermark"
WATERMARK_IDS_KEY = "koubei/watermark_ids"
MAX_RECENT_IDS = 200


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A detached, read-only copy of a source's checkpoint."""
    source: str
    watermark: datetime | None = None
    recent_ids: tuple[str, ...] = ()
    status: str = "new"
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    broken_since: datetime | None = None
    last_error: str | None = None
    last_counts: dict = field(default_factory=dict)


def load_checkpoint(state: StateDB, source: str) -> Checkpoint:
    """The source's checkpoint, or an empty one (status ``new``) before its first crawl."""
    with state.session() as session:
        row = session.get(CrawlCheckpoint, source)
        if row is None:
            return Checkpoint(source)
        return Checkpoint(source, row.watermark, tuple(row.recent_ids or ()), row.status,
                          row.last_run_at, row.last_success_at, row.broken_since,
                          row.last_error, dict(row.last_counts or {}))


def note_persisted(stats: Any, review: Review) -> None:
    """Record in the crawl ``stats`` that ``review`` is in the store (for the watermark)."""
    if review.extra.get("published_at_estimated") or review.native_id is None:
        return
    current = stats.get_value(WATERMARK_KEY)
    if current is None or review.published_at > current:
        stats.set_value(WATERMARK_KEY, review.published_at)
        stats.set_value(WATERMARK_IDS_KEY, [review.native_id])
    elif review.published_at == current:
        stats.set_value(WATERMARK_IDS_KEY, [*stats.get_value(WATERMARK_IDS_KEY), review.native_id])


def record_success(state: StateDB, source: str, counts: dict, watermark: datetime | None,
                   ids: list[str], at: datetime | None = None) -> None:
    """Mark the source ``ok`` and move the watermark forward to ``watermark`` (never back)."""
    at = at or utcnow()
    with state.session() as session:
        row = _row(session, source)
        old_ids = list(row.recent_ids or [])
        if watermark is not None and (row.watermark is None or watermark > row.watermark):
            row.watermark, row.recent_ids = watermark, list(dict.fromkeys(ids))[-MAX_RECENT_IDS:]
        elif watermark is not None and watermark == row.watermark:
            row.recent_ids = list(dict.fromkeys(old_ids + ids))[-MAX_RECENT_IDS:]
        row.last_run_at = row.last_success_at = at
        row.status, row.broken_since, row.last_error = "ok", None, None
        row.last_counts = dict(counts)


def record_failure(state: StateDB, source: str, error: str, counts: dict | None = None,
                   at: datetime | None = None) -> None:
    """Mark the source ``broken`` with ``error``; the watermark is left where it was."""
    at = at or utcnow()
    with state.session() as session:
        row = _row(session, source)
        if row.status != "broken" or row.broken_since is None:
            row.broken_since = at
        row.status, row.last_error, row.last_run_at = "broken", error, at
        row.last_counts = dict(counts or {})


def imported_files(state: StateDB, source: str) -> set[str]:
    """Keys (name|size|mtime) of the files a ``file`` source has imported."""
    with state.session() as session:
        row = session.get(CrawlCheckpoint, source)
        return set(row.recent_ids or ()) if row is not None else set()


def record_imported(state: StateDB, source: str, keys: list[str]) -> None:
    if not keys:
        return
    with state.session() as session:
        row = _row(session, source)
        row.recent_ids = list(dict.fromkeys([*(row.recent_ids or []), *keys]))


def _row(session: Any, source: str) -> CrawlCheckpoint:
    row = session.get(CrawlCheckpoint, source)
    if row is None:
        row = CrawlCheckpoint(source=source, recent_ids=[], status="new", last_counts={})
        session.add(row)
    return row
