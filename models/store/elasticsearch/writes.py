"""The write path of the Elasticsearch store: batches of reviews through the bulk API.

A batch is first looked up by id through the read alias, to count new / updated / unchanged
and to find a copy in another month's index when ``published_at`` moved (that copy is
deleted in the same bulk request). Only changed reviews are written; they take one sequence
block of the feed ledger (``es_feed``) and are written.

Written batches are then *settled*: the indices they went to are refreshed (made searchable)
and only then are their blocks closed, which lets the live feed move past them. Settling is
lazy: one refresh covers the batches written during ``SETTLE_AFTER`` seconds (the node's own
default refresh interval), and the store settles at the end of every ``upsert`` (and after
each batch of an iterator), so a caller reads its writes as before. On one local node a
refresh per batch of 5,000 took a quarter of the ingest time. A batch that shares an id with
an unsettled one settles them first, because its lookup must see their writes (a review that
moved month would otherwise keep two copies). A batch whose send failed part-way is settled
the same way once the node answers: what it did write becomes searchable before the feed
moves past its block.

A large batch is sent as ``PARALLEL_BULKS`` bulk requests at once over separate connections:
one request is indexed by one write thread per shard, and a month's reviews share one shard,
so a single request at a time leaves the node's other cores idle.

Writing is split in two: ``prepare`` (serialising and hashing, Python work only) and ``write``
(the requests). ``prepared_ahead`` prepares the next batch on a thread of its own while the
current one is written, because the writing thread mostly waits on the node: on one local
node this took the Python work (some 40% of each batch's time under the profiler) off the
critical path.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from elasticsearch import Elasticsearch

from models.review import Review
from models.store.base import UpsertResult, stable_json
from models.store.elasticsearch.bulk import (
    BulkAction,
    BulkOutcome,
    Rejection,
    RetryPolicy,
    send_bulk,
)
from models.store.elasticsearch.feed import BLOCK, FeedLedger
from models.store.elasticsearch.mapping import IndexNames, document_parts

IDS_PER_LOOKUP = 10_000  # the default index.max_result_window
PARALLEL_BULKS = 2
MIN_PARALLEL = 1_000     # below this many actions one request is cheaper than two
SETTLE_AFTER = 1.0       # seconds a written batch may wait for its refresh


@dataclass
class PreparedBatch:
    """One batch (ids unique) with each review's content hash and its stored document
    around the ``seq`` value, which is only known once the batch takes its feed block."""
    reviews: dict[str, Review]
    hashes: dict[str, str]
    documents: dict[str, tuple[str, str]]

    def __len__(self) -> int:
        return len(self.reviews)


def prepare(batch: Iterable[Review]) -> PreparedBatch:
    by_id = {r.id: r for r in batch}
    hashes, documents = {}, {}
    for rid, review in by_id.items():
        stable, digest = stable_json(review.to_dict())
        hashes[rid] = digest
        documents[rid] = document_parts(review, stable, digest)
    return PreparedBatch(by_id, hashes, documents)


@dataclass(frozen=True, eq=False)  # compared by identity
class Written:
    """A batch written but not yet settled (``block`` None: written in place, ``relabel``)."""
    block: int | None
    indices: frozenset[str]
    ids: frozenset[str]
    at: float = field(default_factory=time.monotonic)


class BatchWriter:
    def __init__(self, client: Elasticsearch, url: str, names: IndexNames, ledger: FeedLedger,
                 retry: RetryPolicy):
        self.client, self.url, self.names = client, url, names
        self.ledger, self.retry = ledger, retry
        self.last_rejections: list[Rejection] = []
        # the store may be written from several threads: the bookkeeping below is shared
        self._lock = threading.Lock()
        self._unsettled: list[Written] = []
        self._senders = ThreadPoolExecutor(PARALLEL_BULKS, thread_name_prefix="es-bulk")
        self._preparer = ThreadPoolExecutor(1, thread_name_prefix="es-prepare")

    def prepared_ahead(self, batches: Iterable[Iterable[Review]]) -> Iterator[PreparedBatch]:
        """``batches`` prepared, the next one on the preparing thread while the caller writes
        the one yielded. ``batches`` itself is consumed on the caller's thread, one batch
        ahead: give it reviews already in memory, or a batch waits for the next one."""
        pending = None
        for batch in batches:
            ahead = self._preparer.submit(prepare, batch)
            if pending is not None:
                yield pending.result()
            pending = ahead
        if pending is not None:
            yield pending.result()

    def write(self, batch: PreparedBatch) -> UpsertResult:
        """Write one batch (ids unique). Raises ``StoreUnavailable`` or the client's errors;
        a batch that failed may be written again: the ids make it idempotent."""
        by_id, hashes = batch.reviews, batch.hashes
        with self._lock:
            overlap = any(not written.ids.isdisjoint(by_id) for written in self._unsettled)
        if overlap:
            self.settle()  # the lookup below must see the earlier writes of these ids
        stored = self.stored(list(by_id), ["content_hash"])
        changed = [rid for rid in by_id if rid not in stored
                   or stored[rid][1].get("content_hash") != hashes[rid]]
        if not changed:
            return UpsertResult(unchanged=len(by_id))
        block = self.ledger.claim()
        actions = []
        for offset, rid in enumerate(changed):
            index = self.names.monthly(by_id[rid].published_at)
            if rid in stored and stored[rid][0] != index:  # published_at moved month
                actions.append(BulkAction("delete", stored[rid][0], rid))
            head, tail = batch.documents[rid]
            actions.append(BulkAction("index", index, rid,
                                      f"{head}{block * BLOCK + offset}{tail}"))
        try:
            outcome = self._send(actions)
        finally:  # settled later even when the send failed: it may have written a part
            written = Written(block, frozenset(a.index for a in actions), frozenset(changed))
            with self._lock:
                self._unsettled.append(written)
        self.last_rejections = outcome.rejections
        rejected = {r.review_id for r in outcome.rejections}
        updated = sum(1 for rid in changed if rid in stored and rid not in rejected)
        new = sum(1 for rid in changed if rid not in stored and rid not in rejected)
        return UpsertResult(new=new, updated=updated, unchanged=len(by_id) - len(changed),
                            rejected=len(rejected))

    def relabel(self, batch: PreparedBatch, expected: dict[str, str]) -> UpsertResult:
        """Write the reviews of ``batch`` whose stored content hash is ``expected[id]``, in
        place: each keeps its feed ``seq`` (no block is claimed) and its index, and is
        written on condition that the document was not replaced since it was looked up
        (``if_seq_no``; a 409 leaves the writer's copy and counts as unchanged)."""
        by_id, hashes = batch.reviews, batch.hashes
        with self._lock:
            overlap = any(not written.ids.isdisjoint(by_id) for written in self._unsettled)
        if overlap:
            self.settle()
        current = self.versions(list(by_id))
        changed = [rid for rid in by_id if rid in current
                   and current[rid][1] == expected[rid] != hashes[rid]]
        if not changed:
            return UpsertResult(unchanged=len(by_id))
        actions = []
        for rid in changed:
            index, _, seq, condition = current[rid]
            head, tail = batch.documents[rid]
            actions.append(BulkAction("index", index, rid, f"{head}{seq}{tail}", condition))
        try:
            outcome = self._send(actions)
        finally:
            written = Written(None, frozenset(a.index for a in actions), frozenset(changed))
            with self._lock:
                self._unsettled.append(written)
        self.last_rejections = [r for r in outcome.rejections if r.status != 409]
        updated = len(changed) - len(outcome.rejections)
        rejected = len(self.last_rejections)
        return UpsertResult(updated=updated, unchanged=len(by_id) - updated - rejected,
                            rejected=rejected)

    def versions(self, ids: list[str]) -> dict[str, tuple[str, str, int, tuple[int, int]]]:
        """``{id: (index, content_hash, seq, (seq_no, primary_term))}`` of the stored ones."""
        found = {}
        for i in range(0, len(ids), IDS_PER_LOOKUP):
            chunk = ids[i:i + IDS_PER_LOOKUP]
            hits = self.client.search(index=self.names.alias, size=len(chunk), source=False,
                                      query={"ids": {"values": chunk}},
                                      docvalue_fields=["content_hash", "seq"],
                                      seq_no_primary_term=True)
            for hit in hits["hits"]["hits"]:
                values = hit.get("fields") or {}
                found[hit["_id"]] = (hit["_index"], (values.get("content_hash") or [None])[0],
                                     int((values.get("seq") or [0])[0]),
                                     (hit["_seq_no"], hit["_primary_term"]))
        return found

    def _send(self, actions: list[BulkAction]) -> BulkOutcome:
        """Send ``actions`` in up to ``PARALLEL_BULKS`` concurrent bulk requests (an
        ``index``/``delete`` pair of one review may land in different requests: they target
        different indices). Raises the first request's failure."""
        if len(actions) < MIN_PARALLEL:
            return send_bulk(self.client, actions, self.url, self.retry)
        size = -(-len(actions) // PARALLEL_BULKS)
        parts = [actions[i:i + size] for i in range(0, len(actions), size)]
        futures = [self._senders.submit(send_bulk, self.client, part, self.url, self.retry)
                   for part in parts]
        outcome = BulkOutcome()
        for future in futures:
            part = future.result()
            outcome.written += part.written
            outcome.retries += part.retries
            outcome.rejections += part.rejections
        return outcome

    def close(self) -> None:
        self._senders.shutdown(wait=True)
        self._preparer.shutdown(wait=True)

    def settle_due(self) -> bool:
        """Whether a written batch has waited ``SETTLE_AFTER`` seconds for its refresh."""
        with self._lock:
            oldest = self._unsettled[0].at if self._unsettled else None
        return oldest is not None and time.monotonic() - oldest >= SETTLE_AFTER

    def settle(self) -> None:
        """Make the written batches searchable, then close their blocks. Raises the client's
        errors; what was not settled stays for the next call."""
        with self._lock:
            batches = list(self._unsettled)
        if not batches:
            return
        indices = set().union(*(written.indices for written in batches))
        # a batch whose send failed may name a month it never created
        self.client.indices.refresh(index=",".join(sorted(indices)), ignore_unavailable=True)
        blocks = [w.block for w in batches if w.block is not None]
        if blocks:
            self.ledger.close(*blocks)
        with self._lock:  # batches written meanwhile by other threads stay
            self._unsettled = [w for w in self._unsettled if w not in batches]

    def stored(self, ids: list[str], fields: list[str]) -> dict[str, tuple[str, dict]]:
        """``{id: (index, {field: value})}`` for the stored ones among ``ids``; ``fields`` are
        keyword fields, read from doc values rather than by parsing each stored ``_source``."""
        found = {}
        for i in range(0, len(ids), IDS_PER_LOOKUP):
            chunk = ids[i:i + IDS_PER_LOOKUP]
            hits = self.client.search(index=self.names.alias, size=len(chunk), source=False,
                                      query={"ids": {"values": chunk}}, docvalue_fields=fields)
            for hit in hits["hits"]["hits"]:
                values = {f: v[0] for f, v in (hit.get("fields") or {}).items() if v}
                found[hit["_id"]] = (hit["_index"], values)
        return found
