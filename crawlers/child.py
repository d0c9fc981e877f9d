"""``crawls_in_child``: crawls in a fresh child process, since Twisted's reactor cannot
restart within a process. The caller (the composition root, ``web.jobs``) names the child's
command, which runs ``crawlers.runner.run_crawls`` and prints each ``CrawlReport`` as one JSON
line on stdout, and the function that opens a runtime for recording a child's failure.

Starting a child (importing Scrapy, loading the sentiment model and the dictionaries) costs
most of a small crawl. A ``SpareChild`` starts the next child ahead of need with ``--wait``
(and the config and data directory it will most likely crawl with): it loads all that, opens
that runtime and builds its analyser, then waits on stdin for its arguments (one JSON line:
the argument list), so the crawl that takes it starts at once; a child handed other
arguments, or whose config file changed meanwhile, opens its runtime afresh."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
from collections import deque
from pathlib import Path
from typing import Any, Callable, Sequence

from crawlers.checkpoints import record_failure
from crawlers.report import CrawlReport
from models.exceptions import ConfigError
from models.runtime import Runtime

logger = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def crawls_in_child(config_path: str | Path, home: str | Path, source_names: list[str],
                    timeout: float = 600, overrides: dict[str, Any] | None = None, *,
                    command: Sequence[str],
                    open_runtime: Callable[[Any, Any], Runtime],
                    spare: "SpareChild | None" = None) -> list[CrawlReport]:
    """Crawl several sources at once in one child process started as ``command`` (plus
    ``--config``, ``--home``, the names and ``--settings``), or in the child ``spare`` holds
    ready; one report per name, in order. A
    child that times out, dies or prints no report for a source gives ``ok=False`` for it and
    marks its checkpoint broken (through a runtime from ``open_runtime``). The child's log goes
    to this process's stderr."""
    arguments = ["--config", str(config_path), "--home", str(home), *source_names]
    if overrides:
        arguments += ["--settings", json.dumps(overrides)]
    reports: dict[str, CrawlReport] = {}
    try:
        if spare is not None:
            stdout, returncode = spare.run(arguments, timeout)
        else:
            done = subprocess.run([*command, *arguments], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, text=True, timeout=timeout,
                                  env=child_env(), check=False)
            stdout, returncode = done.stdout, done.returncode
    except subprocess.TimeoutExpired:
        error = f"the crawl did not finish within {timeout:g}s and was stopped"
    else:
        reports = _reports(stdout)
        error = f"the crawl process exited with code {returncode} without a report"
    results = []
    for name in source_names:
        if name in reports:
            results.append(reports[name])
            continue
        logger.error("crawl of %s failed: %s", name, error)
        _record_child_failure(open_runtime, config_path, home, name, error)
        results.append(CrawlReport(name, errors=1, ok=False, error=error))
    return results


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The child must import this same code base, installed or not.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


class SpareChild:
    """Crawl children started ahead of need (``command`` plus ``--wait``; see the module
    docstring): ``size`` of them wait, oldest first. ``run`` hands the oldest its arguments
    and starts a replacement at once, so the next crawl takes a child that has had the
    longest to warm up, even when crawls follow each other closely on a busy machine; a
    spare that died meanwhile is passed over. The crawl workers of one process may share one
    (size: one per worker). ``close`` stops the waiting children."""

    def __init__(self, command: Sequence[str], warm: Sequence[str] = (), size: int = 1):
        """``warm``: arguments the child may prepare for while it waits (``--config`` and
        ``--home`` of the crawls it will most likely be handed)."""
        self.command = [*command, WAIT_FLAG, *warm]
        self.size = max(1, size)
        self.waiting: deque[subprocess.Popen] = deque()
        self._lock = threading.Lock()

    @property
    def child(self) -> subprocess.Popen | None:
        """The child the next crawl takes (None before the first crawl and after ``close``)."""
        with self._lock:
            return self.waiting[0] if self.waiting else None

    def run(self, arguments: list[str], timeout: float) -> tuple[str, int]:
        """Crawl with ``arguments`` in the oldest spare; returns its stdout and exit code.
        Raises ``subprocess.TimeoutExpired`` (the child killed) after ``timeout`` seconds."""
        with self._lock:
            child = None
            while self.waiting and child is None:
                oldest = self.waiting.popleft()
                child = oldest if oldest.poll() is None else None
            child = child or self._start()
            while len(self.waiting) < self.size:
                self.waiting.append(self._start())
        try:
            stdout, _ = child.communicate(json.dumps(arguments) + "\n", timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise
        return stdout, child.returncode

    def close(self) -> None:
        with self._lock:
            children, self.waiting = list(self.waiting), deque()
        for child in children:
            if child.poll() is None:
                child.kill()
                child.communicate()

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True, env=child_env())


WAIT_FLAG = "--wait"


def _reports(stdout: str) -> dict[str, CrawlReport]:
    reports = {}
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                report = CrawlReport.from_dict(json.loads(line))
            except (ValueError, TypeError):
                continue
            reports[report.source] = report
    return reports


def _record_child_failure(open_runtime: Callable[[Any, Any], Runtime], config_path: str | Path,
                          home: str | Path, source_name: str, error: str) -> None:
    try:
        runtime = open_runtime(config_path, home)
    except ConfigError:
        return  # nothing to record against: the config itself is broken
    try:
        if any(s.name == source_name for s in runtime.config.sources):
            record_failure(runtime.state, source_name, error)
    finally:
        runtime.close()
