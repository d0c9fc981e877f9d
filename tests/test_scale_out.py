"""The scale-out deployment as real processes on one PostgreSQL: two schedulers with the leader
killed in the middle of sending a notification (the other takes over, nothing is sent twice),
two crawl workers sharing the crawl queue (every crawl run once, one per source at a time), and
two web workers sharing sign-ins and login throttling, where signing out on one worker ends
the session (every copy of its cookie) on the other.
"""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from models import crawl_queue
from models.lease import SCHEDULER_LEASE
from models.review import utcnow
from models.state import CrawlJob, Incident, JobRun, Lease, NoticeDelivery
from tests.alerting.conftest import add_burst, add_series
from tests.support import free_port
from web.jobs import crawl_job
from web.runtime import open_runtime

ROOT = Path(__file__).resolve().parents[1]
LEASE_TTL = 3.0
DEADLINE = 120.0

SCHEDULER_CONFIG = """\
timezone: Asia/Shanghai
detection_interval: 1s
entities:
  - {{id: yunque, name: 云雀手机, keywords: [云雀]}}
rules:
  - {{name: negative-spike, type: negative_spike, window: 3m, baseline: 2h, min_count: 5,
     p_value: 0.001, min_ratio: 2, realert: 1h, channels: [hook]}}
channels:
  - {{name: hook, type: webhook, url: "{hook}", timeout: 60s}}
"""


class HoldingReceiver:
    """A webhook receiver that keeps the first request unanswered until ``release``, so the
    sender can be killed while it waits; every request that arrived is in ``bodies``."""

    def __init__(self):
        self.bodies: list[bytes] = []
        self.arrived, self.released = threading.Event(), threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                receiver.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.arrived.set()
                receiver.released.wait(60)
                try:
                    self.send_response(200)
                    self.end_headers()
                except OSError:
                    pass  # the sender is gone

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def start(role: str, config: Path, home: Path, state_url: str, log: Path,
          *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "web.cli", "-v", "run", "--role", role, "--config", str(config),
         "--home", str(home), *extra],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "KOUBEI_STATE_URL": state_url})


def wait_until(check, what: str, procs=(), deadline: float = DEADLINE, logs=()):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        for proc in procs:
            if proc.poll() is not None:
                break
        time.sleep(0.2)
    tails = "\n".join(p.read_text(errors="replace")[-3000:] for p in logs if p.exists())
    pytest.fail(f"no {what} within {deadline:.0f}s\n{tails}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def scale_out(tmp_path, pg_node, monkeypatch):
    """(config path, home, state URL) with the state in a fresh PostgreSQL database."""
    url = pg_node.database()
    monkeypatch.setenv("KOUBEI_STATE_URL", url)
    return tmp_path / "koubei.yaml", tmp_path / "home", url


@pytest.mark.slow
def test_leader_killed_mid_notification_fails_over_without_a_second_notice(scale_out,
                                                                            tmp_path):
    config, home, url = scale_out
    receiver = HoldingReceiver()
    config.write_text(SCHEDULER_CONFIG.format(hook=receiver.url), encoding="utf-8")
    runtime = open_runtime(config, home)
    now = utcnow()
    add_series(runtime.store, now - timedelta(hours=2), now - timedelta(minutes=4),
               timedelta(minutes=10), entities=["yunque"])
    add_burst(runtime.store, 24, end=now, span=timedelta(minutes=2), entities=["yunque"])
    state = runtime.state
    logs = [tmp_path / "a.log", tmp_path / "b.log"]

    def lease():
        with state.session() as session:
            return session.get(Lease, SCHEDULER_LEASE)

    first = start("scheduler", config, home, url, logs[0], "--lease-ttl", str(LEASE_TTL))
    second = None
    try:
        leader = wait_until(lambda: (held := lease()) and held.token == 1 and held, "first leader",
                            [first], logs=logs)
        second = start("scheduler", config, home, url, logs[1], "--lease-ttl", str(LEASE_TTL))
        wait_until(lambda: "standing by" in logs[1].read_text(errors="replace")
                   or "leads while" in logs[1].read_text(errors="replace"),
                   "second scheduler up", [second], logs=logs)
        assert receiver.arrived.wait(DEADLINE), "the leader never sent the notification"
        assert lease().holder == leader.holder  # the second one stood by meanwhile
        os.killpg(first.pid, signal.SIGKILL)  # in the middle of sending: no outcome recorded
        first.wait()
        killed_at = utcnow()

        successor = wait_until(lambda: (held := lease()) and held.token == 2 and held, "takeover",
                               [second], logs=logs)
        assert successor.holder != leader.holder
        failover = (successor.acquired_at - killed_at).total_seconds()
        # bounded: the lease's time to live plus one polling round of the standby
        assert failover <= LEASE_TTL + LEASE_TTL / 3 + 5, failover
        with state.session() as session:  # the successor runs detection ticks itself ...
            wait_until(lambda: session.scalars(select(JobRun).where(
                JobRun.job == "detect", JobRun.token == 2, JobRun.finished_at.is_not(None)))
                .all(), "successor's tick",
                [second], logs=logs)
        with state.session() as session:
            [incident] = session.scalars(select(Incident)).all()
            events = [e.kind for e in incident.events]
            [delivery] = session.scalars(select(NoticeDelivery)).all()
            runs = session.scalars(select(JobRun)).all()
        # ... on the same incident (a repeated firing adds no timeline entry: it moves
        # last_fired_at and the opening entry's hourly counts)
        assert events.count("opened") == 1 and incident.last_fired_at > killed_at
        assert delivery.status == "sending"  # the dead leader's claim, never sent again
        assert len(receiver.bodies) == 1
        assert len({(r.job, r.slot) for r in runs}) == len(runs)  # no tick ran twice
        print(f"failover: {failover:.2f}s after SIGKILL (lease ttl {LEASE_TTL:g}s)")
    finally:
        receiver.close()
        stop(first)
        if second is not None:
            stop(second)
        runtime.close()


WORKER_CONFIG = """\
timezone: Asia/Shanghai
entities:
  - {{id: yunque, name: 云雀手机, keywords: [云雀]}}
sources:
{sources}
"""
SOURCE = ("  - {{name: app-{n}, type: appstore, base_url: '{site}', app_id: '1000000001', "
          "country: cn, interval: 1h, entities: [yunque]}}")


@pytest.mark.slow
def test_two_crawl_workers_share_the_queue(scale_out, tmp_path):
    from crawlers.demo import serve_demo_site

    config, home, url = scale_out
    ports = [free_port(), free_port()]  # two sites, three sources on each
    sites = [serve_demo_site("127.0.0.1", port, burst_after=None)[0] for port in ports]
    names = [f"app-{n}" for n in range(1, 7)]
    config.write_text(WORKER_CONFIG.format(sources="\n".join(
        SOURCE.format(n=n, site=f"http://127.0.0.1:{ports[n % 2]}") for n in range(1, 7))),
        encoding="utf-8")
    runtime = open_runtime(config, home)
    runtime.store  # create the review store before the workers open it
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    workers = [start("worker", config, home, url, log, "--crawl-workers", "1") for log in logs]
    try:
        for name in names:  # as the scheduler's crawl job queues them
            crawl_job(str(config), str(home), name)
        assert crawl_queue.enqueue(runtime.state, names[0]) is None  # one at a time per source

        def finished():
            with runtime.state.session() as session:
                done = session.scalars(select(CrawlJob).where(CrawlJob.status == "done")).all()
            return done if len(done) == len(names) else None
        done = wait_until(finished, "every crawl done", workers, deadline=300, logs=logs)
        assert sorted(job.source for job in done) == names  # each once
        assert all(job.active_source is None and job.result["new"] > 0 for job in done), [
            (job.source, job.result) for job in done]
        assert len({job.claimed_by.split("/")[0] for job in done}) == 2  # both took part
        for port in ports:  # never two crawls of one site at the same time, fleet-wide
            runs = sorted((job.claimed_at, job.finished_at) for job in done
                          if job.site == f"127.0.0.1:{port}")
            assert len(runs) == 3
            assert all(later[0] >= earlier[1] for earlier, later in zip(runs, runs[1:]))
        assert runtime.store.stats().reviews == sum(job.result["new"] for job in done)
        assert crawl_queue.enqueue(runtime.state, names[0]) is not None  # free again
    finally:
        for proc in workers:
            stop(proc)
        for site in sites:
            site.shutdown()
        runtime.close()


WEB_CONFIG = """\
timezone: Asia/Shanghai
users:
  - {username: admin, role: admin, entities: ["*"]}
"""
PASSWORD = "scale-口碑-password"


def sign_in(opener, web: str, password: str) -> int:
    """Post the login form; the status of the answer (after redirects)."""
    page = opener.open(f"{web}/login", timeout=10).read().decode("utf-8")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    form = urllib.parse.urlencode({"username": "admin", "password": password,
                                   "csrf_token": token}).encode()
    try:
        with opener.open(f"{web}/login", data=form, timeout=10) as response:
            return 200 if response.url.rstrip("/") == web else 401
    except urllib.error.HTTPError as exc:
        return exc.code


def answer(opener, url: str) -> int:
    try:
        with opener.open(url, timeout=10) as response:
            return response.status if "/login" not in response.url else 302
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:  # not listening (yet)
        return 0


def cookie_header(jar: http.cookiejar.CookieJar) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def with_cookie(header: str):
    """An opener that sends exactly ``header`` as its Cookie (a copy of a browser's cookie,
    replayed as-is: what the server says to set or clear is ignored)."""
    opener = urllib.request.build_opener()
    opener.addheaders = [("Cookie", header)]
    return opener


def sign_out(opener, web: str) -> int:
    """Post the sign-out form found on the feed page; the status of the answer."""
    page = opener.open(f"{web}/", timeout=10).read().decode("utf-8")
    form = re.search(r'action="/logout"[^>]*>\s*<input type="hidden" name="csrf_token" '
                     r'value="([^"]+)"', page)
    assert form, "no sign-out form on the feed page"
    data = urllib.parse.urlencode({"csrf_token": form[1]}).encode()
    with opener.open(f"{web}/logout", data=data, timeout=10) as response:
        return 200 if "/login" in response.url else response.status


@pytest.fixture
def web_workers(scale_out, tmp_path, monkeypatch):
    """Two ``koubei run --role web`` processes on loopback on one PostgreSQL state, sharing
    the signing key; yields their base URLs."""
    config, home, url = scale_out
    config.write_text(WEB_CONFIG, encoding="utf-8")
    monkeypatch.setenv("KOUBEI_ADMIN_PASSWORD", PASSWORD)
    monkeypatch.setenv("KOUBEI_SECRET_KEY", "shared-by-every-web-worker-" + "x" * 32)
    subprocess.run([sys.executable, "-m", "web.cli", "init", "--config", str(config),
                    "--home", str(home)], cwd=ROOT, check=True, capture_output=True)
    ports = [free_port(), free_port()]
    logs = [tmp_path / "web1.log", tmp_path / "web2.log"]
    webs = [start("web", config, home, url, log, "--port", str(port))
            for log, port in zip(logs, ports)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for web in bases:
            wait_until(lambda web=web: answer(urllib.request.build_opener(), f"{web}/healthz")
                       == 200, f"web worker {web}", webs, logs=logs)
        yield bases
    finally:
        for proc in webs:
            stop(proc)


@pytest.mark.slow
def test_two_web_workers_share_sign_ins_and_throttling(web_workers):
    first, second = web_workers
    person = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    assert answer(person, f"{second}/api/incidents") in (302, 401)  # not signed in
    assert sign_in(person, first, PASSWORD) == 200
    assert answer(person, f"{second}/api/incidents") == 200  # signed in on both

    intruder = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    refused = [sign_in(intruder, web, "wrong") for web in (first, second) * 3]
    assert refused[-1] == 429  # five failures over both workers lock the account
    assert sign_in(urllib.request.build_opener(urllib.request.HTTPCookieProcessor(
        http.cookiejar.CookieJar())), first, PASSWORD) == 429


@pytest.mark.slow
def test_signing_out_on_one_web_worker_ends_the_session_on_the_other(web_workers):
    first, second = web_workers
    jars = [http.cookiejar.CookieJar(), http.cookiejar.CookieJar()]
    leaving, staying = (urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
                        for jar in jars)
    assert sign_in(leaving, first, PASSWORD) == 200
    assert sign_in(staying, second, PASSWORD) == 200  # another browser of the same user
    copied = cookie_header(jars[0])  # what a thief (or a second tab) holds
    assert copied and copied != cookie_header(jars[1])
    for web in (first, second):  # the cookie works on both workers
        assert answer(with_cookie(copied), f"{web}/api/incidents") == 200
        assert answer(with_cookie(copied), f"{web}/") == 200

    assert sign_out(leaving, second) == 200  # signed out on the second worker
    for web in (first, second):  # the copy is refused everywhere, pages and API
        assert answer(with_cookie(copied), f"{web}/api/incidents") == 401
        assert answer(with_cookie(copied), f"{web}/") == 302  # sent to /login
    # the user's other session, signed in on the other worker, is untouched
    for web in (first, second):
        assert answer(staying, f"{web}/api/incidents") == 200
