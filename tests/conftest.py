"""Fixtures shared by every test package."""
from __future__ import annotations

from pathlib import Path

import pytest

from models.loader import parse_config
from models.runtime import DEMO_CONFIG, Runtime
from models.state import StateDB
from tests.factories import make_review, restart_numbering  # noqa: F401  (make_review re-exported)
from tests.pg_node import NodeError, PostgresNode, server_available
from tests.support import require
from web.runtime import PLUGINS, wire

pytest_plugins = ["tests.es_fixtures"]  # es_url, es_prefix: one Elasticsearch node a session


@pytest.fixture(autouse=True, scope="session")
def _no_stray_data_directory(tmp_path_factory):
    """Whatever a test forgets to pass, it never writes into a developer's ./koubei-data."""
    patch = pytest.MonkeyPatch()
    patch.setenv("KOUBEI_HOME", str(tmp_path_factory.mktemp("default-home")))
    patch.delenv("KOUBEI_CONFIG", raising=False)
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _reviews_numbered_from_one():
    """``make_review`` numbers (and times) reviews from 1 in every test."""
    restart_numbering()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "koubei-data"
    path.mkdir()
    return path


@pytest.fixture
def runtime(home: Path):
    """A runtime on the demo config with an empty data directory of its own."""
    config = parse_config(DEMO_CONFIG.read_text(encoding="utf-8"), PLUGINS, str(DEMO_CONFIG))
    rt = wire(Runtime(config, DEMO_CONFIG, home))  # as web.runtime.open_runtime wires it
    yield rt
    rt.close()


@pytest.fixture(scope="session")
def pg_node():
    """One throw-away PostgreSQL cluster for the session (``tests.pg_node``); skipped when the
    server is not installed, and failing under ``CI=true``."""
    require(server_available(), "PostgreSQL server (Debian package postgresql)")
    node = PostgresNode()
    try:
        node.start()
    except NodeError as exc:
        node.stop()
        require(False, f"a PostgreSQL cluster that starts: {exc}")
    yield node
    node.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request, tmp_path):
    """The URL of an empty state database, once SQLite and once a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("pg_node").database()


@pytest.fixture
def state_db(state_url):
    """A migrated, empty state database on each backend (see ``state_url``)."""
    state = StateDB(state_url)
    state.upgrade()
    yield state
    state.close()
