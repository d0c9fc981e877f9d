"""The live feed's ingest order on Elasticsearch: sequence blocks and the settled horizon.

Search in Elasticsearch is near-real-time and several processes write at once, so "the highest
``seq`` I can see" is not a safe cursor: a batch that took a lower number may become visible
later, and a reader that already moved past it would never show it. The protocol:

1. Before a batch is written, its writer claims a block number from one ledger document
   (``<prefix>-meta/_doc/feed``) with optimistic concurrency control (``if_seq_no``), and
   records the block as *open*. Every review of the batch gets ``seq = block * BLOCK + i``.
2. The batch is written, then made searchable by a refresh of the indices it went to.
3. Only then does the writer close its block in the ledger (several blocks at once when it
   settles several batches with one refresh, see ``es_writes``).
4. A reader takes the ledger with a real-time GET; the *horizon* is the lowest open block, and
   it only returns reviews with ``seq`` below the horizon.

Guarantee: a feed cursor never passes a review that is not yet searchable, so a poller
following cursors sees every insert and every change exactly once, in ``seq`` order, whatever
the number of writer processes. A block left open by a writer that died is ignored after
``STALE_AFTER`` seconds (its reviews, if any were written, then appear in order).

A claim can reach the ledger while its answer is lost (the connection drops on the way back):
the block is then open in the ledger but unknown to its writer, and would hold every reader
back for ``STALE_AFTER``. So each claim carries a token recorded beside its block
(``claims``): a retried claim that finds its token takes that block instead of a second one,
and a claim that failed for good leaves its token with the ledger object, whose next
successful update closes any block still recorded under it (that batch was spooled and will
be written under a block of its own).
"""
from __future__ import annotations

import threading
import time
from uuid import uuid4

from elasticsearch import ConflictError, Elasticsearch, NotFoundError

BLOCK = 1 << 20          # reviews per block: batches are far smaller than a million
STALE_AFTER = 300.0      # seconds after which an open block is taken as abandoned
LEDGER_ID = "feed"


class FeedLedger:
    def __init__(self, client: Elasticsearch, index: str):
        self.client = client
        self.index = index
        self._lost: set[str] = set()  # tokens of claims that failed: their blocks must close
        self._lock = threading.Lock()

    def _read(self) -> tuple[dict, int | None, int | None]:
        try:
            doc = self.client.get(index=self.index, id=LEDGER_ID, realtime=True)
        except NotFoundError:
            return {"next": 1, "open": {}}, None, None
        return doc["_source"], doc["_seq_no"], doc["_primary_term"]

    def _update(self, change) -> object:
        """Apply ``change(state) -> result`` to the ledger with compare-and-set; retry on
        conflict with another writer. Blocks of claims whose answer was lost are closed in
        the same write."""
        with self._lock:
            lost = set(self._lost)
        while True:
            state, seq_no, term = self._read()
            _release(state, {b for b, t in state.get("claims", {}).items() if t in lost})
            result = change(state)
            try:
                if seq_no is None:
                    self.client.create(index=self.index, id=LEDGER_ID, document=state)
                else:
                    self.client.index(index=self.index, id=LEDGER_ID, document=state,
                                      if_seq_no=seq_no, if_primary_term=term)
            except ConflictError:
                continue
            with self._lock:
                self._lost -= lost  # closed now, or never recorded
            return result

    def claim(self) -> int:
        """Open a new block and return its number."""
        token = uuid4().hex

        def take(state: dict) -> int:
            claims = state.get("claims", {})
            mine = next((int(b) for b, t in claims.items() if t == token), None)
            if mine is not None:  # an earlier attempt got through; its answer did not
                return mine
            block = int(state["next"])
            state["next"] = block + 1
            state["open"] = {**state.get("open", {}), str(block): time.time()}
            state["claims"] = {**claims, str(block): token}
            return block
        try:
            return self._update(take)
        except Exception:
            with self._lock:
                self._lost.add(token)
            raise

    def close(self, *blocks: int) -> None:
        """Close ``blocks`` (closing a closed block does nothing)."""
        done = {str(block) for block in blocks}
        self._update(lambda state: _release(state, done))

    def horizon(self) -> int | None:
        """The lowest ``seq`` a reader must not reach yet, or None when no block is open."""
        state, _, _ = self._read()
        now = time.time()
        live = [int(k) for k, claimed in state.get("open", {}).items()
                if now - claimed < STALE_AFTER]
        return min(live) * BLOCK if live else None


def _release(state: dict, blocks: set[str]) -> None:
    """Take ``blocks`` (as ledger keys) out of the open blocks and their claims."""
    if blocks:
        state["open"] = {k: v for k, v in state.get("open", {}).items() if k not in blocks}
        state["claims"] = {k: v for k, v in state.get("claims", {}).items() if k not in blocks}
