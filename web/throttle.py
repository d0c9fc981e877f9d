"""Login throttling: after ``limit`` failed logins for one username (or from one address)
within ``window`` seconds, further attempts for it are refused until the oldest failure
leaves the window. Failures are kept in memory per process: enough to stop password guessing
through one web process, which is how Koubei is run (a shared store is for several workers).
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from typing import Callable, Hashable


class LoginThrottle:
    def __init__(self, limit: int = 5, window: float = 900.0,
                 clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[Hashable, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: Hashable, now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        return failures

    def retry_after(self, *keys: Hashable) -> int:
        """Seconds until a login for ``keys`` may be tried again; 0 when it may now."""
        now = self.clock()
        with self._lock:
            waits = [self.window - (now - f[0]) for f in (self._recent(k, now) for k in keys)
                     if len(f) >= self.limit]
        return int(max(waits)) + 1 if waits else 0

    def failed(self, *keys: Hashable) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, key: Hashable) -> None:
        with self._lock:
            self._failures.pop(key, None)
