"""``koubei run --port/--demo-port`` addresses reach every runtime through the environment
(``models.runtime.with_addresses``), so a second instance crawls its own demo site."""
from __future__ import annotations

from models.loader import load_config as load
from models.runtime import DEMO_CONFIG, open_runtime, with_addresses
from web.runtime import PLUGINS


def load_config(path):
    return load(path, PLUGINS)


def test_the_demo_source_channel_and_public_url_follow_the_ports(monkeypatch, tmp_path):
    config = load_config(DEMO_CONFIG)
    assert with_addresses(config, {}) is config
    moved = with_addresses(config, {"KOUBEI_DEMO_SITE": "http://127.0.0.1:9181",
                                    "KOUBEI_PUBLIC_URL": "http://127.0.0.1:9180"})
    assert moved.source("demo-appstore").base_url == "http://127.0.0.1:9181"
    assert moved.channel("demo-webhook").url == "http://127.0.0.1:9181/hooks"
    assert moved.web.public_url == "http://127.0.0.1:9180"
    assert config.source("demo-appstore").base_url == "http://127.0.0.1:8081"  # untouched

    monkeypatch.setenv("KOUBEI_DEMO_SITE", "http://127.0.0.1:9181")
    runtime = open_runtime(DEMO_CONFIG, tmp_path, PLUGINS)  # as a crawl child opens it
    assert runtime.config.source("demo-appstore").base_url == "http://127.0.0.1:9181"


def test_addresses_elsewhere_are_left_alone(tmp_path):
    path = tmp_path / "koubei.yaml"
    path.write_text(DEMO_CONFIG.read_text(encoding="utf-8").replace(
        "http://127.0.0.1:8081/hooks", "https://hooks.example.com/koubei").replace(
        "base_url: http://127.0.0.1:8081", "base_url: http://127.0.0.1:80811"), encoding="utf-8")
    config = with_addresses(load_config(path), {"KOUBEI_DEMO_SITE": "http://127.0.0.1:9181"})
    assert config.channel("demo-webhook").url == "https://hooks.example.com/koubei"
    assert config.source("demo-appstore").base_url == "http://127.0.0.1:80811"
