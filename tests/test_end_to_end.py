"""The whole system as ``make run`` starts it: demo site → crawl → enrich → store → detection →
incident → webhook, and the web app showing it. Runs ``koubei run --demo`` as a real process."""
from __future__ import annotations

import html
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from models.runtime import DEMO_CONFIG
from tests.support import free_port

DEADLINE = 150  # seconds: the README promises an incident within two minutes of starting
ADMIN_PASSWORD = "demo-口碑-password"
# The app asks for a sign-in: this opener keeps the session cookie once logged in.
browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def get_json(url: str):
    with browser.open(url, timeout=5) as response:
        return json.loads(response.read().decode("utf-8"))


def log_in(web: str) -> None:
    """Sign in as the admin through the login form, as a person would."""
    page = browser.open(f"{web}/login", timeout=5).read().decode("utf-8")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    form = urllib.parse.urlencode({"username": "admin", "password": ADMIN_PASSWORD,
                                   "csrf_token": token}).encode()
    with browser.open(f"{web}/login", data=form, timeout=5) as response:
        assert response.url.rstrip("/") == web  # redirected to the feed, not back to /login


def wait_for(fetch, ready, what: str, proc: subprocess.Popen, deadline: float):
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"koubei run exited with {proc.returncode} while waiting for {what}")
        try:
            last = fetch()
            if ready(last):
                return last
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"no {what} within {DEADLINE}s; last answer: {last!r}")


@pytest.fixture
def system(tmp_path: Path):
    # The bundled demo config as it is (8080, demo site on 8081): --port and --demo-port alone
    # move the web app, the links in notifications, the demo source's crawl and the webhook.
    web_port, demo_port = free_port(), free_port()
    log = (tmp_path / "run.log").open("wb")
    env = {k: v for k, v in os.environ.items()
           if k not in ("KOUBEI_CONFIG", "KOUBEI_HOME", "KOUBEI_PUBLIC_URL", "KOUBEI_DEMO_SITE")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "run", "--config", str(DEMO_CONFIG),
         "--home", str(tmp_path / "home"), "--demo", "--port", str(web_port),
         "--demo-port", str(demo_port), "--demo-burst-after", "5"],
        stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[1],
        env={**env, "PYTHONUNBUFFERED": "1", "KOUBEI_ADMIN_PASSWORD": ADMIN_PASSWORD})
    yield f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{demo_port}", proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    log.close()
    print((tmp_path / "run.log").read_text(encoding="utf-8", errors="replace")[-4000:])


@pytest.mark.slow
def test_make_run_shows_live_reviews_and_an_incident(system):
    web, demo, proc = system
    deadline = time.monotonic() + DEADLINE
    wait_for(lambda: get_json(f"{web}/healthz"), lambda h: h["status"] == "ok", "web app",
             proc, deadline)
    log_in(web)
    reviews = wait_for(lambda: get_json(f"{web}/api/reviews?limit=50")["reviews"],
                       lambda r: len(r) >= 10, "labelled reviews", proc, deadline)
    assert all(r["sentiment"]["label"] in ("negative", "neutral", "positive") for r in reviews)
    assert {r["source"] for r in reviews} == {"demo-appstore"}

    page = html.unescape(browser.open(f"{web}/", timeout=5).read().decode("utf-8"))
    assert 'lang="zh-CN"' in page
    plain = [r for r in reviews if r["text"].isprintable() and not set(r["text"]) & set("<>&")]
    assert plain and plain[0]["text"] in page

    incidents = wait_for(lambda: get_json(f"{web}/api/incidents")["incidents"],
                         lambda i: len(i) >= 1, "incident", proc, deadline)
    assert incidents[0]["rule"] == "negative-spike"
    hooks = wait_for(lambda: get_json(f"{demo}/hooks"), lambda h: len(h) >= 1,
                     "webhook delivery", proc, deadline)
    assert hooks[0]["id"] == incidents[0]["id"]
    assert hooks[0]["rule"] == "negative-spike"
    assert hooks[0]["link"] == f"{web}/incidents/{incidents[0]['id']}"  # follows --port
    assert {r["url"].split("/reviews/")[0] for r in reviews} == {demo}  # crawled from --demo-port

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
