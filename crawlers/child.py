"""``crawl_in_child``: one crawl in a fresh child process (``python -m crawlers.runner``), since
Twisted's reactor cannot restart within a process. The scheduler calls it every interval."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from crawlers.checkpoints import record_failure
from crawlers.report import CrawlReport
from models.exceptions import ConfigError
from models.runtime import open_runtime

logger = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def crawl_in_child(config_path: str | Path, home: str | Path, source_name: str,
                   timeout: float = 600, overrides: dict[str, Any] | None = None) -> CrawlReport:
    """Run ``run_crawl`` in a child process and return its report. A child that times out,
    dies or prints no report gives ``ok=False`` and the source's checkpoint is marked broken.
    The child's log goes to this process's stderr."""
    command = [sys.executable, "-m", "crawlers.runner", "--config", str(config_path),
               "--home", str(home), source_name]
    if overrides:
        command += ["--settings", json.dumps(overrides)]
    env = dict(os.environ)
    # The child must import this same code base, installed or not.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        error = f"the crawl did not finish within {timeout:g}s and was stopped"
    else:
        report = _last_report(done.stdout)
        if report is not None:
            return report
        error = f"the crawl process exited with code {done.returncode} without a report"
    logger.error("crawl of %s failed: %s", source_name, error)
    _record_child_failure(config_path, home, source_name, error)
    return CrawlReport(source_name, errors=1, ok=False, error=error)


def _last_report(stdout: str) -> CrawlReport | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            try:
                return CrawlReport.from_dict(json.loads(line))
            except (ValueError, TypeError):
                return None
    return None


def _record_child_failure(config_path: str | Path, home: str | Path, source_name: str,
                          error: str) -> None:
    try:
        runtime = open_runtime(config_path, home)
    except ConfigError:
        return  # nothing to record against: the config itself is broken
    try:
        if any(s.name == source_name for s in runtime.config.sources):
            record_failure(runtime.state, source_name, error)
    finally:
        runtime.close()
