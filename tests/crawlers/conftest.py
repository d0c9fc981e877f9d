"""Fixtures for crawler tests: a config file pointing the demo source at a local server, the
mock server, an injectable clock, and a ``crawl`` helper running a real crawl in a child
process (Twisted's reactor cannot restart inside the test process)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from models.runtime import DEMO_CONFIG
from tests.crawlers.mockserver import MockServer
from web.jobs import crawl_in_child
from web.runtime import open_runtime

# Politeness delays are for other people's servers; these crawls hit 127.0.0.1 only.
FAST = {"DOWNLOAD_DELAY": 0, "DOWNLOAD_DELAY_JITTER": 0, "AUTOTHROTTLE_START_DELAY": 0,
        "RETRY_AFTER_MAX_DELAY": 5}
SOURCE = "demo-appstore"
START = datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing


class FakeClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def write_config(tmp_path: Path):
    """``write_config(base_url, **source_keys)`` → path of a copy of the demo config whose
    demo source points at ``base_url``."""
    def write(base_url: str, **source_keys: object) -> Path:
        data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
        data["sources"][0].update(base_url=base_url, **source_keys)
        path = tmp_path / "koubei.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path
    return write


@pytest.fixture
def mockserver():
    with MockServer() as server:
        yield server


@pytest.fixture
def crawl(home: Path):
    """``crawl(config_path, source=SOURCE)`` runs one real crawl in a child process."""
    def run(config_path: Path, source: str = SOURCE):
        return crawl_in_child(config_path, home, source, timeout=120, overrides=FAST)
    return run


@pytest.fixture
def open_home(home: Path):
    """``open_home(config_path)`` → a runtime on the crawl's data directory (closed after)."""
    opened = []

    def open_(config_path: Path):
        runtime = open_runtime(config_path, home)
        opened.append(runtime)
        return runtime
    yield open_
    for runtime in opened:
        runtime.close()
