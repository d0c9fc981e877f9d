"""The write path of the Elasticsearch store: one batch of reviews, one bulk request.

A batch is first looked up by id through the read alias, to count new / updated / unchanged
and to find a copy in another month's index when ``published_at`` moved (that copy is
deleted in the same bulk request). Only changed reviews are written; they take one sequence
block of the feed ledger (``es_feed``), are written, made searchable by a refresh of the
indices they went to, and then close it.

A large batch is sent as ``PARALLEL_BULKS`` bulk requests at once over separate connections:
one request is indexed by one write thread per shard, and a month's reviews share one shard,
so a single request at a time leaves the node's other cores idle.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from elasticsearch import ConnectionError, ConnectionTimeout, Elasticsearch

from models.exceptions import StoreUnavailable
from models.review import Review
from models.store.base import UpsertResult, stable_json
from models.store.es_bulk import (BulkAction, BulkOutcome, Rejection, RetryPolicy,
                                   send_bulk)
from models.store.es_feed import BLOCK, FeedLedger
from models.store.es_mapping import IndexNames, document_json

IDS_PER_LOOKUP = 10_000  # the default index.max_result_window
PARALLEL_BULKS = 2
MIN_PARALLEL = 1_000     # below this many actions one request is cheaper than two


class BatchWriter:
    def __init__(self, client: Elasticsearch, url: str, names: IndexNames, ledger: FeedLedger,
                 retry: RetryPolicy):
        self.client, self.url, self.names = client, url, names
        self.ledger, self.retry = ledger, retry
        self.last_rejections: list[Rejection] = []
        self._unclosed_blocks: list[int] = []
        self._senders = ThreadPoolExecutor(PARALLEL_BULKS, thread_name_prefix="es-bulk")

    def write(self, batch: list[Review]) -> UpsertResult:
        """Write one batch (ids unique). Raises ``StoreUnavailable`` or the client's errors;
        a batch that failed may be written again: the ids make it idempotent."""
        by_id = {r.id: r for r in batch}
        serialised = {rid: stable_json(r.to_dict()) for rid, r in by_id.items()}
        hashes = {rid: digest for rid, (_, digest) in serialised.items()}
        stored = self.stored(list(by_id), ["content_hash"])
        changed = [rid for rid in by_id if rid not in stored
                   or stored[rid][1].get("content_hash") != hashes[rid]]
        if not changed:
            return UpsertResult(unchanged=len(by_id))
        self._close_leftover_blocks()
        block = self.ledger.claim()
        try:
            actions = []
            for offset, rid in enumerate(changed):
                review = by_id[rid]
                index = self.names.monthly(review.published_at)
                if rid in stored and stored[rid][0] != index:  # published_at moved month
                    actions.append(BulkAction("delete", stored[rid][0], rid))
                doc = document_json(review, serialised[rid][0], hashes[rid],
                                    block * BLOCK + offset)
                actions.append(BulkAction("index", index, rid, doc))
            outcome = self._send(actions)
            self.client.indices.refresh(index=",".join(sorted({a.index for a in actions})))
            self.ledger.close(block)
        except (StoreUnavailable, ConnectionError, ConnectionTimeout):
            # the block stays open (holding the feed back) until a later write closes it
            self._unclosed_blocks.append(block)
            raise
        self.last_rejections = outcome.rejections
        rejected = {r.review_id for r in outcome.rejections}
        updated = sum(1 for rid in changed if rid in stored and rid not in rejected)
        new = sum(1 for rid in changed if rid not in stored and rid not in rejected)
        return UpsertResult(new=new, updated=updated, unchanged=len(by_id) - len(changed),
                            rejected=len(rejected))

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

    def _close_leftover_blocks(self) -> None:
        while self._unclosed_blocks:
            self.ledger.close(self._unclosed_blocks[-1])
            self._unclosed_blocks.pop()

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
