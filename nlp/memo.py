"""``Memo``: a bounded cache of a function of one token, read like a dict.

Review text repeats the same few thousand tokens, so per-token work (search forms, keyword
weights) is done once per distinct token. Lookups of known tokens stay in C
(``map(memo.__getitem__, tokens)``); only a miss runs Python, through ``__missing__``. There
is no lock to take: a lookup either finds the value or computes and returns it, so a
concurrent ``clear`` only costs a recomputation.
"""
from __future__ import annotations

from typing import Callable, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Memo(dict, Generic[K, V]):
    """``memo[key]`` is ``compute(key)``, computed on the first lookup and kept; past
    ``size`` entries the memo starts afresh (keys are cheap to compute again)."""

    def __init__(self, compute: Callable[[K], V], size: int):
        super().__init__()
        self.compute, self.size = compute, size

    def __missing__(self, key: K) -> V:
        if len(self) >= self.size:
            self.clear()
        value = self[key] = self.compute(key)
        return value
