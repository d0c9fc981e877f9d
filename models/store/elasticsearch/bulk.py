"""Bulk writes with retry: the only way the Elasticsearch store writes reviews.

``send_bulk`` sends one batch of actions as a pre-serialised NDJSON body and
- retries the items rejected with 429 (the node's write queue is full) with exponential backoff,
- retries the whole request on connection errors, timeouts, 429 and 503 responses,
- reports every other per-item failure (a mapping conflict, a malformed value) as a
  ``Rejection`` naming the review id, without holding back the rest of the batch,
- raises ``StoreUnavailable`` when the node cannot be reached after the last retry, so that the
  caller can spool the batch to disk.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

from elasticsearch import ApiError, ConnectionError, ConnectionTimeout, Elasticsearch

from models.exceptions import StoreError, StoreUnavailable
from models.store.elasticsearch.connect import NOT_READY_STATUSES as RETRY_STATUSES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rejection:
    review_id: str
    status: int
    reason: str

    def __str__(self) -> str:
        return f"review {self.review_id} rejected ({self.status}): {self.reason}"


@dataclass
class BulkAction:
    """One line pair of a bulk body: ``op`` is ``index``, ``delete`` or ``update``."""
    op: str
    index: str
    review_id: str
    document: str | None = None  # serialised: the _source to index, or an update's body
    condition: tuple[int, int] | None = None  # (if_seq_no, if_primary_term)

    def ndjson(self) -> str:
        # index names are ours (lower-case, no quotes); the id goes through the JSON encoder
        meta = f'"_index":"{self.index}","_id":{json.dumps(self.review_id)}'
        if self.condition is not None:
            meta += f',"if_seq_no":{self.condition[0]},"if_primary_term":{self.condition[1]}'
        head = f'{{"{self.op}":{{{meta}}}}}'
        return head + "\n" if self.document is None else f"{head}\n{self.document}\n"


@dataclass
class BulkOutcome:
    written: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    retries: int = 0


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    initial_backoff: float = 0.2
    max_backoff: float = 5.0

    def delays(self):
        delay = self.initial_backoff
        for _ in range(self.attempts - 1):
            yield delay
            delay = min(delay * 2, self.max_backoff)


def send_bulk(client: Elasticsearch, actions: list[BulkAction], url: str,
              policy: RetryPolicy = RetryPolicy(), refresh: bool = False) -> BulkOutcome:
    """Write ``actions``; see the module docstring for what is retried and what is reported."""
    outcome, pending = BulkOutcome(), list(actions)
    delays = policy.delays()
    while pending:
        try:
            items = _request(client, pending, refresh)
        except (ConnectionError, ConnectionTimeout) as exc:
            items, failure = None, f"cannot reach Elasticsearch at {url}: {exc}"
        except ApiError as exc:
            if exc.meta.status not in RETRY_STATUSES:
                raise StoreError(f"bulk write to {url} failed ({exc.meta.status}): {exc}") from exc
            items, failure = None, f"Elasticsearch at {url} is overloaded ({exc.meta.status})"
        if items is not None:
            pending = _collect(pending, items, outcome)
            if not pending:
                break
            failure = f"{len(pending)} documents throttled (429) by {url}"
        delay = next(delays, None)
        if delay is None:
            raise StoreUnavailable(failure)
        outcome.retries += 1
        log.warning("%s; retrying in %.1fs", failure, delay)
        time.sleep(delay)
    return outcome


def _request(client: Elasticsearch, actions: list[BulkAction], refresh: bool) -> list[dict]:
    body = "".join(a.ndjson() for a in actions)
    response = client.bulk(operations=body, refresh=refresh or None)
    return response["items"]


def _collect(actions: list[BulkAction], items: list[dict],
             outcome: BulkOutcome) -> list[BulkAction]:
    """Count successes and rejections; return the actions to retry (status 429)."""
    retry = []
    for action, item in zip(actions, items):
        result = next(iter(item.values()))
        status = result.get("status", 500)
        if status < 300 or (action.op == "delete" and status == 404):
            outcome.written += action.op == "index"
        elif status == 429:
            retry.append(action)
        else:
            error = result.get("error") or {}
            reason = f"{error.get('type', 'error')}: {error.get('reason', '')}"
            cause = error.get("caused_by")
            if cause:
                reason += f" ({cause.get('type')}: {cause.get('reason')})"
            rejection = Rejection(action.review_id, status, reason)
            log.error("%s", rejection)
            outcome.rejections.append(rejection)
    return retry
