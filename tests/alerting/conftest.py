"""Fixtures for alerting tests: review series on a fixed clock, runtimes with chosen rules and
channels, and real local receivers (an HTTP server for webhooks, aiosmtpd for e-mail)."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alerting.detect.rules.negative_spike import NegativeSpikeConfig
from models.runtime import Runtime
from tests.factories import make_review
from web.runtime import wire

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)
BURST_TOKENS = ["屏幕", "发热", "严重", "烫手", "[怒]"]
CALM_TOKENS = ["电池", "续航", "一般"]


def spike_rule(**overrides) -> NegativeSpikeConfig:
    values = dict(name="negative-spike", type="negative_spike", window="3m", baseline="2h",
                  min_count=5, p_value=0.001, min_ratio=2, channels=[])
    values.update(overrides)
    return NegativeSpikeConfig(**values)


def add_series(store, start: datetime, end: datetime, every: timedelta,
               label: str = "negative", text: str = "电池续航一般", **values) -> int:
    """One review every ``every`` in ``[start, end)``; returns how many were stored."""
    values.setdefault("tokens", list(CALM_TOKENS))
    reviews, at = [], start
    while at < end:
        reviews.append(make_review(label=label, published_at=at,
                                   text=f"{text}（{at:%m-%d %H:%M:%S}）", **values))
        at += every
    store.upsert(reviews)
    return len(reviews)


def add_burst(store, count: int, end: datetime = NOW, span: timedelta = timedelta(minutes=2),
              **values) -> list:
    """``count`` negative reviews about an overheating screen, spread over ``span`` before
    ``end``."""
    values.setdefault("tokens", list(BURST_TOKENS))
    step = span / count
    reviews = [make_review(label="negative", published_at=end - span + i * step,
                           text=f"屏幕发热严重，烫手[怒] 第{i}台",
                           url=f"https://example.com/review/{i}", **values)
               for i in range(count)]
    store.upsert(reviews)
    return reviews


@pytest.fixture
def configure(runtime):
    """``configure(rules=[...], channels=[...])`` → a runtime on the same data directory with
    those rules and channels instead of the demo ones."""
    made = []

    def make(**update) -> Runtime:
        rt = wire(Runtime(runtime.config.model_copy(update=update), runtime.config_path,
                          runtime.home))
        made.append(rt)
        return rt
    yield make
    for rt in made:
        rt.close()


class WebhookReceiver:
    """A real HTTP server on loopback. Answers ``failures`` first (status codes), then 200;
    ``attempts`` holds every request, ``accepted`` the ones answered 200."""

    def __init__(self, failures: list[int] | None = None):
        self.failures = list(failures or [])
        self.attempts: list[tuple[dict, bytes]] = []
        self.accepted: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = (dict(self.headers), body)
                receiver.attempts.append(request)
                status = receiver.failures.pop(0) if receiver.failures else 200
                if status == 200:
                    receiver.accepted.append(request)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"status": status}).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # the OS picks: no race
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/koubei"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def payloads(self) -> list[dict]:
        return [json.loads(body) for _, body in self.accepted]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def webhook_receiver():
    """``webhook_receiver(failures=[500, 500])`` starts a receiver; all are closed after."""
    started = []

    def start(failures: list[int] | None = None) -> WebhookReceiver:
        receiver = WebhookReceiver(failures)
        started.append(receiver)
        return receiver
    yield start
    for receiver in started:
        receiver.close()
