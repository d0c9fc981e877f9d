"""Scheduler failover on PostgreSQL (``python -m benchmarks failover``): two ``koubei run
--role scheduler`` processes at the default settings (``--lease-ttl 30``) on a throw-away
PostgreSQL cluster; the leader is stopped, and the figure is the time from its end until the
standby holds the lease. Killed (SIGKILL: the lease must expire) against stopped cleanly
(SIGTERM: the leader gives the lease up), each the median of ``KOUBEI_BENCH_FAILOVERS`` rounds
(default 3). Both processes run the demo config without sources, detection every 20 s."""
from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.table import Figure
from models.lease import SCHEDULER_LEASE
from models.review import utcnow
from models.state import Lease, StateDB
from tests.pg_node import PostgresNode  # the throw-away cluster, shared with the tests

ROOT = Path(__file__).resolve().parents[1]
LEASE_TTL = 30.0  # koubei run's default
CONFIG = """\
timezone: Asia/Shanghai
detection_interval: 20s
"""


def _scheduler(config: Path, home: Path, url: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "web.cli", "run", "--role", "scheduler", "--config", str(config),
         "--home", str(home)], stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=ROOT,
        start_new_session=True, env={**os.environ, "KOUBEI_STATE_URL": url})


def _lease(state: StateDB) -> Lease | None:
    with state.session() as session:
        return session.get(Lease, SCHEDULER_LEASE)


def _wait(check, limit: float = 180.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise RuntimeError("no takeover within the limit")


def failover_seconds(node: PostgresNode, how: signal.Signals, work: Path) -> float:
    url = node.database()
    config = work / "koubei.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    state = StateDB(url)
    state.upgrade()
    first = _scheduler(config, work / "home", url, work / "a.log")
    second = None
    try:
        leader = _wait(lambda: (held := _lease(state)) and held.token == 1 and held)
        second = _scheduler(config, work / "home", url, work / "b.log")
        time.sleep(5)  # the standby is up and polling
        os.killpg(first.pid, how)
        first.wait()
        ended = utcnow()
        taken = _wait(lambda: (held := _lease(state)) and held.token == 2 and held)
        assert taken.holder != leader.holder
        return (taken.acquired_at - ended).total_seconds()
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        state.close()


def run() -> list[Figure]:
    rounds = int(os.environ.get("KOUBEI_BENCH_FAILOVERS", "3"))
    node = PostgresNode().start()
    try:
        with tempfile.TemporaryDirectory(prefix="koubei-failover-") as scratch:
            killed, stopped = [], []
            for n in range(rounds):
                for how, into in ((signal.SIGKILL, killed), (signal.SIGTERM, stopped)):
                    work = Path(scratch) / f"{how.name}-{n}"
                    work.mkdir()
                    into.append(failover_seconds(node, how, work))
    finally:
        node.stop()
    bound = LEASE_TTL + LEASE_TTL / 3
    worst = max(killed)
    return [Figure(f"scheduler failover, leader killed (median of {rounds}; worst "
                   f"{worst:.1f} s)", statistics.median(killed), "s",
                   statistics.median(stopped), "leader stopped cleanly (lease released)",
                   f"<= {bound:.0f} s (lease ttl + one poll)", worst <= bound)]
