"""Choosing the Elasticsearch store in the config file."""
from __future__ import annotations

import pytest

from models.exceptions import ConfigError
from models.loader import parse_config
from models.runtime import Runtime
from web.runtime import PLUGINS


def test_bad_elasticsearch_option_names_file_and_key():
    text = "store:\n  backend: elasticsearch\n  options:\n    index_prefix: Has Spaces\n"
    with pytest.raises(ConfigError) as err:
        parse_config(text, PLUGINS, "koubei.yaml")
    message = str(err.value)
    assert "koubei.yaml" in message and "store" in message
    assert "options.index_prefix" in message


def test_unknown_elasticsearch_option_is_refused():
    text = "store:\n  backend: elasticsearch\n  options:\n    hosts: [a]\n"
    with pytest.raises(ConfigError, match="options.hosts"):
        parse_config(text, PLUGINS, "koubei.yaml")


def test_runtime_opens_the_configured_cluster(tmp_path, es_url, es_prefix, monkeypatch):
    monkeypatch.delenv("KOUBEI_ES_URL", raising=False)
    text = (f"store:\n  backend: elasticsearch\n  options:\n    url: {es_url}\n"
            f"    index_prefix: {es_prefix}\n    batch_size: 100\n")
    runtime = Runtime(parse_config(text, PLUGINS, "koubei.yaml"), tmp_path / "koubei.yaml",
                      tmp_path)
    stats = runtime.store.stats()
    assert stats.details["backend"] == "elasticsearch"
    assert stats.details["alias"] == f"{es_prefix}-reviews"
    assert runtime.store.batch_size == 100
    runtime.close()
