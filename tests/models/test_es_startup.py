"""A wrong URL or wrong credentials give one clear error at start-up.

Credentials are checked by a real authenticating hop (``tests.es_proxy.AuthenticatingProxy``)
in front of the real node, because the test distribution has no security module: the right
basic-auth user or API key reaches the node, anything else gets Elasticsearch's own 401.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import HTTPServer, SimpleHTTPRequestHandler

import pytest
from click.testing import CliRunner
from elasticsearch import Elasticsearch

from crawlers.child import PROJECT_ROOT
from models.exceptions import StoreError, StoreUnavailable
from models.store.elasticsearch.store import ElasticsearchReviewStore
from tests.es_proxy import AuthenticatingProxy
from tests.factories import make_review
from tests.support import free_port
from web.cli.commands.store import store_group


@pytest.fixture
def secured(es_url, monkeypatch):
    for name in ("KOUBEI_ES_URL", "KOUBEI_ES_USERNAME", "KOUBEI_ES_PASSWORD", "KOUBEI_ES_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    proxy = AuthenticatingProxy(es_url, "koubei", "s3cret-口碑", api_key="a2V5OnNlY3JldA==")
    yield proxy
    proxy.close()


def templates_of(es_url, prefix):
    client = Elasticsearch(es_url)
    found = client.options(ignore_status=404).indices.get_index_template(
        name=f"{prefix}-reviews").body.get("index_templates", [])
    client.close()
    return found


def test_wrong_password_is_one_clear_error_and_nothing_is_created(tmp_path, secured, es_url,
                                                                   es_prefix, monkeypatch):
    monkeypatch.setenv("KOUBEI_ES_PASSWORD", "wrong")
    with pytest.raises(StoreError, match="refused the credentials") as err:
        ElasticsearchReviewStore(tmp_path, url=secured.url, index_prefix=f"{es_prefix}-x",
                                 username="koubei")
    message = str(err.value)
    assert secured.url in message and "401" in message
    assert "store.options.username" in message and "password_env" in message
    assert secured.refused == 1 and secured.forwarded == 0  # one request, then it stopped
    assert templates_of(es_url, f"{es_prefix}-x") == []


def test_right_password_from_the_environment_reaches_the_node(tmp_path, secured, es_prefix,
                                                              monkeypatch):
    monkeypatch.setenv("KOUBEI_ES_USERNAME", "koubei")
    monkeypatch.setenv("KOUBEI_ES_PASSWORD", "s3cret-口碑")
    store = ElasticsearchReviewStore(tmp_path, url=secured.url, index_prefix=es_prefix)
    review = make_review()
    assert store.upsert([review]).new == 1
    assert store.get(review.id) == review
    assert secured.refused == 0 and secured.forwarded > 0
    store.close()


def test_api_key_from_the_named_variable(tmp_path, secured, es_prefix, monkeypatch):
    monkeypatch.setenv("TEAM_ES_KEY", "a2V5OnNlY3JldA==")
    store = ElasticsearchReviewStore(tmp_path, url=secured.url, index_prefix=es_prefix,
                                     api_key_env="TEAM_ES_KEY")
    assert store.stats().reviews == 0
    store.close()
    monkeypatch.setenv("TEAM_ES_KEY", "d3Jvbmc6a2V5")
    with pytest.raises(StoreError, match="refused the credentials.*api_key_env"):
        ElasticsearchReviewStore(tmp_path, url=secured.url, index_prefix=es_prefix,
                                 api_key_env="TEAM_ES_KEY")


def test_store_check_with_wrong_credentials_prints_one_line_and_exits_1(tmp_path, home,
                                                                        secured, monkeypatch):
    monkeypatch.setenv("KOUBEI_ES_PASSWORD", "wrong")
    config = tmp_path / "koubei.yaml"
    config.write_text(f"store:\n  backend: elasticsearch\n  options:\n    url: {secured.url}\n"
                      "    username: koubei\n", encoding="utf-8")
    result = CliRunner().invoke(store_group, ["check", "--config", str(config),
                                              "--home", str(home)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("store check failed:") and secured.url in lines[0]
    assert "refused the credentials" in lines[0]


def test_unreachable_url_is_one_clear_error_at_start(tmp_path, monkeypatch):
    monkeypatch.delenv("KOUBEI_ES_URL", raising=False)
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreUnavailable) as err:
        ElasticsearchReviewStore(tmp_path, url=url)
    assert f"cannot reach Elasticsearch at {url}" in str(err.value)
    assert "store.options.url" in str(err.value)


def test_a_url_that_is_not_elasticsearch_is_one_clear_error(tmp_path, monkeypatch):
    """A web server at the URL (the wrong port of the right host, say) is not taken for a
    cluster: the error names the URL and the config key."""
    monkeypatch.delenv("KOUBEI_ES_URL", raising=False)
    server = HTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        with pytest.raises(StoreError) as err:
            ElasticsearchReviewStore(tmp_path, url=url)
        message = str(err.value)
        assert url in message and "store.options.url" in message
        assert "404" in message
    finally:
        server.shutdown()
        server.server_close()


def test_an_unreachable_node_is_a_few_lines_not_pages_of_tracebacks(tmp_path):
    # The audit: `koubei store check` printed ~50 lines of the client's retry tracebacks
    # before its one-line error.
    (tmp_path / "koubei.yaml").write_text(
        'store: {backend: elasticsearch, options: {url: "http://127.0.0.1:1"}}\n',
        encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "web.cli", "store", "check"],
                          env={**os.environ, "KOUBEI_HOME": str(tmp_path)}, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    assert "cannot reach Elasticsearch at http://127.0.0.1:1" in output
    assert "Traceback" not in output and len(output.splitlines()) <= 8
    assert "Retrying request after failure" in output and "Connection refused" in output


def test_several_nodes_in_the_url_a_node_that_is_down_is_passed_over(tmp_path, es_url,
                                                                       es_prefix, monkeypatch):
    monkeypatch.delenv("KOUBEI_ES_URL", raising=False)
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    store = ElasticsearchReviewStore(tmp_path, url=f"{down}, {es_url}", index_prefix=es_prefix)
    try:
        assert store.upsert([make_review(), make_review()]).new == 2
        assert store.stats().reviews == 2 and store.spool.pending() == 0
        assert store.url == f"{down}, {es_url}"  # named as configured in messages
    finally:
        store.close()


def test_a_url_naming_no_node_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("KOUBEI_ES_URL", raising=False)
    with pytest.raises(StoreError, match=r"no Elasticsearch URL in store.options.url"):
        ElasticsearchReviewStore(tmp_path, url=" , ", index_prefix="kbt-none")
