"""Fixtures shared by every test package."""
from __future__ import annotations

from pathlib import Path

import pytest

from models.loader import parse_config
from models.runtime import DEMO_CONFIG, Runtime

from tests.factories import make_review  # noqa: F401  (re-exported for convenience)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "koubei-data"
    path.mkdir()
    return path


@pytest.fixture
def runtime(home: Path):
    """A runtime on the demo config with an empty data directory of its own."""
    config = parse_config(DEMO_CONFIG.read_text(encoding="utf-8"), str(DEMO_CONFIG))
    rt = Runtime(config, DEMO_CONFIG, home)
    yield rt
    rt.close()
