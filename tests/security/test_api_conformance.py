"""The API against its own OpenAPI description: a schemathesis run (every check, coverage and
fuzzing phases, fixed seed, bounded examples) against a live instance — waitress on loopback —
holding imported, analysed reviews and an incident opened by a real detection run, called with
a personal API token. Zero failures: every answer is documented, every schema-valid request
accepted, every schema-violating one refused, no 500, 405s name what is allowed."""
from __future__ import annotations

import re
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from waitress.server import create_server

from alerting.detect.tick import run_detection
from crawlers.importers import import_file
from models.runtime import Runtime
from tests.alerting.conftest import NOW, add_burst, add_series, spike_rule
from web.app import create_app
from web.security import accounts

SEED = 20261205
EXAMPLES = 40  # per operation and phase: about a minute on a shared machine
ST = Path(sys.executable).with_name("st")


@pytest.fixture
def live(runtime, tmp_path):
    rt = Runtime(runtime.config.model_copy(update={"rules": [spike_rule()]}),
                 runtime.config_path, runtime.home)
    export = tmp_path / "export.csv"
    export.write_text("评论,时间,作者\n" + "\n".join(
        f"云雀X5 第{i}台 屏幕发热严重，客服也不理人,{NOW - timedelta(hours=i):%Y-%m-%d %H:%M:%S},"
        f"用户{i}" for i in range(12)), encoding="utf-8")
    assert import_file(rt, export, "forum-export").new == 12
    add_series(rt.store, NOW - timedelta(hours=2), NOW, timedelta(minutes=10))
    add_burst(rt.store, 9)
    assert run_detection(rt, now=NOW).firings  # a real incident, explanation and all
    accounts.add_user(rt.state, "conformance", "admin", ["*"], "correct-horse-电池")
    token = accounts.issue_token(rt.state, "conformance", "schemathesis")
    app = create_app(rt)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}", token
    server.close()
    rt.close()


def test_the_api_conforms_to_its_openapi_description(live, tmp_path):
    base, token = live
    result = subprocess.run(
        [str(ST), "run", f"{base}/api/openapi.json", "--checks", "all",
         "--phases", "coverage,fuzzing", "--seed", str(SEED), "--max-examples", str(EXAMPLES),
         "--header", f"Authorization: Bearer {token}", "--workers", "1", "--no-color",
         "--generation-database", "none", "--request-timeout", "30"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
    # every operation the description names was exercised
    selected = re.search(r"(\d+) selected / (\d+) total", result.stdout)
    tested = re.search(r"Tested:\s*(\d+)", result.stdout)
    assert selected and tested, result.stdout[-3000:]
    assert int(selected[1]) == int(selected[2]) == int(tested[1]), result.stdout[-3000:]
