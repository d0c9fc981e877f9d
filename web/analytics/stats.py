"""The significance tests behind the flags and scores of the analytics views.

- ``proportion_test``: is a part's share (a channel's negative share) different from the
  rest's? Two-proportion z test with a pooled share, two-sided p from the normal tail. Used
  where both parts have at least a few dozen reviews (callers apply ``MIN_VOLUME``).
- ``keyness``: is a word more frequent in one period than in another? Dunning's
  log-likelihood ratio G² on the 2×2 table (reviews with / without the word, in each period),
  with its p value from the chi-squared distribution with one degree of freedom.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Test:
    statistic: float  # z (signed) or G² (signed by direction: negative when falling)
    p_value: float


def proportion_test(hits: int, n: int, other_hits: int, other_n: int) -> Test | None:
    """``hits / n`` against ``other_hits / other_n``; None when either side is empty or the
    pooled share is 0 or 1 (nothing to test)."""
    if n <= 0 or other_n <= 0:
        return None
    pooled = (hits + other_hits) / (n + other_n)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / other_n))
    if spread == 0:
        return None
    z = (hits / n - other_hits / other_n) / spread
    return Test(z, math.erfc(abs(z) / math.sqrt(2)))


def _xlogx(x: float) -> float:
    return x * math.log(x) if x > 0 else 0.0


def keyness(a: int, n: int, b: int, m: int) -> Test:
    """G² of a word found in ``a`` of ``n`` reviews now and ``b`` of ``m`` before; positive
    when its share rose. With no reviews before at all, G² is 0 (nothing to compare)."""
    if n <= 0 or m <= 0:
        return Test(0.0, 1.0)
    cells = (a, n - a, b, m - b)
    total = n + m
    g2 = 2 * (sum(map(_xlogx, cells)) - _xlogx(a + b) - _xlogx(total - a - b)
              - _xlogx(n) - _xlogx(m) + _xlogx(total))
    g2 = max(g2, 0.0)
    sign = 1 if a / n >= b / m else -1
    return Test(sign * g2, math.erfc(math.sqrt(g2 / 2)))
