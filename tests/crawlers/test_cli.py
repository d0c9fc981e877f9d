"""``koubei crawl``, ``koubei import`` and ``koubei demo-site``: output and exit codes."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from crawlers.demo.feed import feed_path
from crawlers.runner import PROJECT_ROOT
from models.review import review_id
from models.runtime import DEMO_CONFIG
from tests.crawlers.conftest import FAST
from tests.support import free_port
from web.cli import main
from web.cli.commands.crawl import crawl, demo_site, import_
from web.runtime import open_runtime

APP = "1000000001"


@pytest.fixture(autouse=True)
def fast_crawls(monkeypatch):
    monkeypatch.setenv("KOUBEI_CRAWL_SETTINGS", json.dumps(FAST))


def invoke(command, *args: str):
    return CliRunner().invoke(command, [str(a) for a in args], catch_exceptions=False)


def test_commands_are_discovered():
    assert {"crawl", "import", "demo-site"} <= set(main.commands)


def test_crawl_prints_counts_per_source(mockserver, write_config, home):
    # The saved page is a feed whose ``entry`` is a single object, not a list.
    mockserver.page(feed_path("cn", APP, 1), "appstore_single_entry.json")
    config = write_config(mockserver.url)
    result = invoke(crawl, "demo-appstore", "--config", config, "--home", home)
    assert result.exit_code == 0, result.output
    assert result.stdout == "demo-appstore: new=1 updated=0 unchanged=0 dropped=0 errors=0\n"
    runtime = open_runtime(config, home)
    try:
        review = runtime.store.get(review_id("demo-appstore", "13000000001"))
    finally:
        runtime.close()
    assert review.author == "北京阿姨" and review.rating == 4.0


def test_crawl_without_names_crawls_every_enabled_source_and_prints_each(mockserver, tmp_path,
                                                                        home):
    mockserver.page(feed_path("cn", APP, 1), "appstore_single_entry.json")
    mockserver.page("/feed.xml", "rss_feed.xml")
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    data["sources"][0]["base_url"] = mockserver.url
    data["sources"] += [
        # another host name for the same server, so that both crawl in the same batch
        {"name": "forum-feed", "type": "rss", "url": "/feed.xml",
         "base_url": mockserver.url.replace("127.0.0.1", "localhost")},
        {"name": "off", "type": "rss", "url": "/off.xml", "base_url": mockserver.url,
         "enabled": False},
        {"name": "gone", "type": "rss", "url": "/gone.xml",
         "base_url": f"http://127.0.0.1:{free_port()}"}]
    config = tmp_path / "koubei.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = invoke(crawl, "--config", config, "--home", home)
    assert result.exit_code == 1  # nothing listens for "gone"
    assert result.stdout.splitlines() == [
        "demo-appstore: new=1 updated=0 unchanged=0 dropped=0 errors=0",
        "forum-feed: new=3 updated=0 unchanged=0 dropped=0 errors=0",
        "gone: new=0 updated=0 unchanged=0 dropped=0 errors=1"]
    assert "gone: crawl failed: cannot reach the source: " in result.stderr
    assert "/gone.xml: cannot download" in result.stderr
    assert "/off.xml" not in " ".join(mockserver.requested_paths())


def test_crawl_that_fails_outright_exits_1_with_the_error(write_config, home):
    config = write_config(f"http://127.0.0.1:{free_port()}")
    result = invoke(crawl, "demo-appstore", "--config", config, "--home", home)
    assert result.exit_code == 1
    assert result.stdout.startswith("demo-appstore: new=0 ")
    assert "demo-appstore: crawl failed: cannot reach the source" in result.stderr


def test_crawl_of_an_unknown_source_is_a_usage_error(write_config, home):
    config = write_config("http://127.0.0.1:1")
    result = invoke(crawl, "nowhere", "--config", config, "--home", home)
    assert result.exit_code == 2
    assert "no source named 'nowhere'" in result.stderr


def test_import_reports_bad_rows_on_stderr_and_counts_on_stdout(home, tmp_path: Path):
    path = tmp_path / "export.csv"
    path.write_bytes("评论,用户,时间\n好用,甲,2026-11-01 10:00\n多一列,乙,2026-11-01 10:00,x\n"
                     "时间坏了,丙,不知道\n".encode("gb18030"))
    result = invoke(import_, path, "--source", "forum", "--home", home)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"{path}:3: expected 3 columns, found 4",
                                          f"{path}:4: cannot read the time '不知道'"]
    assert result.stdout == ("columns: 评论→text, 用户→author, 时间→published_at\n"
                             "rows=3 new=1 updated=0 unchanged=0 bad=2\n")


def test_import_exit_codes(home, tmp_path: Path):
    all_bad = tmp_path / "bad.jsonl"
    all_bad.write_text("{oops\n[]\n", encoding="utf-8")
    assert invoke(import_, all_bad, "--source", "x", "--home", home).exit_code == 1
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    assert invoke(import_, empty, "--source", "x", "--home", home).exit_code == 0
    mapped = tmp_path / "mapped.txt"
    mapped.write_text("正文\n好评\n", encoding="utf-8")
    result = invoke(import_, mapped, "--source", "x", "--home", home, "--format", "csv",
                    "--map", "text=正文")
    assert result.exit_code == 0 and "new=1" in result.stdout
    result = invoke(import_, mapped, "--source", "x", "--home", home, "--map", "text")
    assert result.exit_code == 2 and "FIELD=COLUMN" in result.stderr
    result = invoke(import_, mapped, "--source", "x", "--home", home)
    assert result.exit_code == 1 and "cannot tell the format" in result.stderr


def test_demo_site_command_serves_the_feed_and_hooks():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "from web.cli.commands.crawl import demo_site; demo_site()",
         "--port", str(port), "--seed", "3"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}{feed_path('cn', APP, 1)}"
        for _ in range(100):
            try:
                response = httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    pytest.fail(process.stderr.read())
                time.sleep(0.1)
        assert response.status_code == 200 and len(response.json()["feed"]["entry"]) == 51
        httpx.post(f"http://127.0.0.1:{port}/hooks", json={"id": 1})
        assert httpx.get(f"http://127.0.0.1:{port}/hooks").json() == [{"id": 1}]
    finally:
        process.terminate()
        out, _err = process.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/hooks" in out


def test_demo_site_reports_a_busy_port(mockserver):
    port = int(mockserver.url.rsplit(":", 1)[1])
    result = invoke(demo_site, "--port", port)
    assert result.exit_code == 1 and "cannot listen" in result.stderr
