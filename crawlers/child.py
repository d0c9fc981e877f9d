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
    """One crawl child started ahead of need (``command`` plus ``--wait``; see the module
    docstring). ``run`` hands the waiting child its arguments and starts the next one at
    once, so that it is ready even when crawls follow each other closely; a spare that died
    meanwhile is replaced by a fresh child. ``close`` stops the spare. Not shared between
    threads: each crawl worker keeps its own."""

    def __init__(self, command: Sequence[str], warm: Sequence[str] = ()):
        """``warm``: arguments the child may prepare for while it waits (``--config`` and
        ``--home`` of the crawls it will most likely be handed)."""
        self.command = [*command, WAIT_FLAG, *warm]
        self.child: subprocess.Popen | None = None

    def run(self, arguments: list[str], timeout: float) -> tuple[str, int]:
        """Crawl with ``arguments`` in the spare; returns its stdout and exit code. Raises
        ``subprocess.TimeoutExpired`` (the child killed) after ``timeout`` seconds."""
        child, self.child = self.child, None
        if child is None or child.poll() is not None:
            child = self._start()
        self.child = self._start()
        try:
            stdout, _ = child.communicate(json.dumps(arguments) + "\n", timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise
        return stdout, child.returncode

    def close(self) -> None:
        child, self.child = self.child, None
        if child is not None and child.poll() is None:
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
