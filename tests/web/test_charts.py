"""ECharts is vendored by the build (``make install`` copies the version pinned in
package.json into web/static/vendor) and served by the app itself; pages load no script from
another origin, and keep their tables for readers without JavaScript."""
from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_pinned_echarts_is_vendored_and_served(client):
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["echarts"]
    locked = json.loads((ROOT / "package-lock.json").read_text())
    assert locked["packages"]["node_modules/echarts"]["version"] == pinned
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned)  # an exact version, not a range
    response = client.get("/static/vendor/echarts.min.js")
    assert response.status_code == 200, "run `make install` (it vendors ECharts)"
    assert f'version="{pinned}"' in response.get_data(as_text=True)
    response.close()


def test_pages_load_scripts_from_the_app_only(client):
    for path in ("/trends", "/compare", "/channels", "/cx", "/hotwords", "/"):
        body = client.get(path).get_data(as_text=True)
        sources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', body)
        assert all(src.startswith("/static/") for src in sources), (path, sources)
        if path != "/":
            assert "/static/vendor/echarts.min.js" in sources or path == "/hotwords", path
