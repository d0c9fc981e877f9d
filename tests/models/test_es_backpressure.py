"""Back-pressure: a node that answers 429 (write queue full) to the first bulk requests. An
HTTP proxy in front of the real node answers those 429s the way Elasticsearch does and
forwards everything else, so the store must retry with backoff until the node takes the batch.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from models.store.elasticsearch import ElasticsearchReviewStore
from models.store.es_bulk import RetryPolicy
from tests.factories import make_review

REJECTED = json.dumps({"error": {"type": "es_rejected_execution_exception",
                                 "reason": "rejected execution of bulk (queue capacity 1)"},
                       "status": 429}).encode()


class ThrottlingProxy(ThreadingHTTPServer):
    def __init__(self, target: str, reject_bulks: int):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.target = target
        self.reject_bulks = reject_bulks
        self.bulk_requests = 0
        self.lock = threading.Lock()
        self.http = httpx.Client(timeout=60)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _handle(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server: ThrottlingProxy = self.server
        if self.path.split("?")[0].endswith("/_bulk"):
            with server.lock:
                server.bulk_requests += 1
                reject = server.bulk_requests <= server.reject_bulks
            if reject:
                return self._reply(429, {"Content-Type": "application/json",
                                         "X-Elastic-Product": "Elasticsearch"}, REJECTED)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "content-length", "connection")}
        upstream = server.http.request(self.command, server.target + self.path,
                                       headers=headers, content=body)
        keep = {k: v for k, v in upstream.headers.items()
                if k.lower() in ("content-type", "x-elastic-product")}
        self._reply(upstream.status_code, keep, upstream.content)

    def _reply(self, status, headers, body):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    def log_message(self, *args):
        pass


@pytest.fixture
def throttling(es_url, monkeypatch):
    monkeypatch.delenv("KOUBEI_ES_URL", raising=False)
    proxy = ThrottlingProxy(es_url, reject_bulks=3)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()
    proxy.http.close()


def test_a_throttled_batch_is_retried_until_the_node_takes_it(tmp_path, throttling,
                                                              es_prefix):
    store = ElasticsearchReviewStore(tmp_path, url=throttling.url, index_prefix=es_prefix,
                                     retry=RetryPolicy(attempts=5, initial_backoff=0.05))
    reviews = [make_review() for _ in range(20)]
    result = store.upsert(reviews)
    assert (result.new, result.spooled, result.rejected) == (20, 0, 0)
    assert throttling.bulk_requests == 4  # three refused, the fourth written
    assert store.stats().reviews == 20
    store.close()


def test_a_node_that_stays_throttled_gets_the_batch_spooled(tmp_path, throttling, es_prefix):
    throttling.reject_bulks = 10**6
    store = ElasticsearchReviewStore(tmp_path, url=throttling.url, index_prefix=es_prefix,
                                     retry=RetryPolicy(attempts=2, initial_backoff=0.05))
    result = store.upsert([make_review() for _ in range(5)])
    assert result.spooled == 5 and store.spool.pending() == 5
    throttling.reject_bulks = 0
    assert store.replay_spool() == 5
    assert store.stats().reviews == 5
    store.close()
