"""The local disk spool: where reviews wait while Elasticsearch cannot be reached.

Each spooled batch is one JSON-lines file under ``<home>/es-spool/<index prefix>/``, named so
that names sort in spooling order. A file is written to a temporary name and renamed, so a
crash never leaves half a batch behind. Replay hands the batches to a writer in order (small
ones merged) and deletes each file only after the write holding its reviews returned, so
nothing is lost; a batch replayed twice (a crash between the write and the delete) rewrites
the same ids, so nothing is duplicated.
An exclusive ``flock`` serialises processes sharing the spool.
"""
from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from models.review import Review


class DiskSpool:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._counter = 0

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def files(self) -> list[Path]:
        if not self.directory.exists():
            return []
        return sorted(self.directory.glob("*.jsonl"))

    def pending(self) -> int:
        """Number of spooled reviews."""
        total = 0
        for path in self.files():
            with open(path, "rb") as fh:
                total += sum(1 for _ in fh)
        return total

    def append(self, reviews: list[Review]) -> Path:
        """Spool one batch. Call with the lock held."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._counter += 1
        name = f"{time.time_ns():020d}-{os.getpid():08d}-{self._counter:06d}"
        tmp = self.directory / f".{name}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            for review in reviews:
                fh.write(json.dumps(review.to_dict(), ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        final = self.directory / f"{name}.jsonl"
        os.replace(tmp, final)
        return final

    def replay(self, write: Callable[[list[Review]], object], batch_size: int = 2000) -> int:
        """Hand the spooled reviews to ``write`` in spooling order, deleting each file after the
        write that held its reviews returned. Small spooled batches are merged into writes of
        about ``batch_size`` reviews (a later copy of an id replaces an earlier one, as in
        ``upsert``), because an outage spools many small batches. Stops at (and re-raises) the
        first failure, keeping that write's files and the ones after them. Call with the lock
        held. Returns the number of reviews replayed."""
        replayed = 0
        merged: dict[str, Review] = {}
        paths: list[Path] = []
        for path in self.files():
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        review = Review.from_dict(json.loads(line))
                        merged[review.id] = review
            paths.append(path)
            if len(merged) >= batch_size:
                replayed += self._write(write, merged, paths)
                merged, paths = {}, []
        if paths:
            replayed += self._write(write, merged, paths)
        return replayed

    @staticmethod
    def _write(write, merged: dict[str, Review], paths: list[Path]) -> int:
        if merged:
            write(list(merged.values()))
        for path in paths:
            path.unlink()
        return len(merged)
