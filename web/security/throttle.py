"""Login throttling: after ``limit`` failed logins for one username (or from one address)
within ``window`` seconds, further attempts for it are refused until the oldest failure
leaves the window.

Failures are rows of the state DB (``models.state.LoginFailure``), so several web processes
behind one address share one count, and a restart does not reset a lock. A guesser spraying
made-up usernames leaves one row per attempt, purged once it leaves the window: nothing grows
without bound.
"""
from __future__ import annotations

import time
from typing import Callable

from sqlalchemy import delete, func, select

from models.state import LoginFailure, StateDB

Key = tuple[str, str]  # ("user", name) or ("ip", address)


def _name(key: Key) -> str:
    kind, value = key
    return f"{kind}:{value}"[:320]


class LoginThrottle:
    def __init__(self, state: Callable[[], StateDB], limit: int = 5, window: float = 900.0,
                 clock: Callable[[], float] = time.time):
        """``state`` gives the state DB when a login is tried (the app is built before it is
        opened, and /healthz must still answer when it cannot be)."""
        self._state, self.limit, self.window, self.clock = state, limit, window, clock

    @property
    def state(self) -> StateDB:
        return self._state()

    def retry_after(self, *keys: Key) -> int:
        """Seconds until a login for ``keys`` may be tried again; 0 when it may now."""
        now = self.clock()
        waits = []
        with self.state.session() as session:
            for key in keys:
                recent = select(LoginFailure.at).where(
                    LoginFailure.key == _name(key), LoginFailure.at > now - self.window)
                count = session.scalar(select(func.count()).select_from(recent.subquery()))
                if count >= self.limit:
                    # the failure whose leaving the window brings the count under the limit
                    at = session.scalar(recent.order_by(LoginFailure.at.desc())
                                        .offset(self.limit - 1).limit(1))
                    waits.append(self.window - (now - at))
        return int(max(waits)) + 1 if waits else 0

    def failed(self, *keys: Key) -> None:
        now = self.clock()
        with self.state.session() as session:
            session.execute(delete(LoginFailure).where(LoginFailure.at <= now - self.window))
            session.add_all(LoginFailure(key=_name(key), at=now) for key in keys)

    def succeeded(self, key: Key) -> None:
        with self.state.session() as session:
            session.execute(delete(LoginFailure).where(LoginFailure.key == _name(key)))
