"""End-to-end alert latency (``python -m benchmarks e2e``): a review published on a local
source → the notification received by a local webhook receiver.

The real system runs as a subprocess (``koubei run``, the embedded default: web, scheduler and
two crawl workers in one process, a temporary data directory) with the default detection
settings: detection every minute, a ``negative_spike`` rule declared with only its type and
channel (multi-scale, calibrated, grouped by entity), a ``crisis_keyword`` rule, and one
``webhook`` channel pointing at a receiver in this process. The source is an App Store
customer-reviews JSON feed (the real format, ``crawlers.demo.feed``) served on loopback and
crawled every 15 s; it starts with two days of calm history for ``BRANDS`` phone brands and
keeps publishing calm reviews (one every ~4 s) throughout, so every crawl stores something.
``KOUBEI_BENCH_E2E_INTERVAL`` (seconds) crawls at another interval.

Events, in a seeded random order with a 2.5–5 s pause between two: ``KOUBEI_BENCH_E2E_BURSTS``
(default 24) bursts of ``BURST_SIZE`` negative reviews about one brand each, published at once
(each brand bursts once, so each burst opens an incident of its own), and as many crisis
reviews, each naming a different crisis term (so each opens its own incident). The latency of
an event is from the moment the feed shows it to the moment the receiver gets the
``opened`` notice of its incident; an event never notified within ``GIVE_UP`` is a miss.

Each crisis review's latency is also split into stages (``STAGES``), from the feed's log of
requests, the crawl queue's times and the incident's opening time: the wait for a crawl to
ask for page 1, then parse, store (the incident opens in the store hook) and notify.

The same events run twice in one run: with ``detect_after_crawl`` (the default: detection
within 2 s of a crawl that stored new reviews) and, as the baseline, with it off (the minute
tick only). Run time: about 5 minutes per system, 10 minutes in all.
"""
from __future__ import annotations

import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import select

from benchmarks.table import Figure
from crawlers.demo.catalogue import DemoReview
from crawlers.demo.feed import render_page
from crawlers.demo.writer import ReviewWriter
from models.review import review_id
from models.state import CrawlJob, Incident, JobRun, StateDB
from models.store import open_review_store

ROOT = Path(__file__).resolve().parents[1]
APP_ID = "1000000001"
BRANDS = ("青松", "白桦", "紫藤", "海棠", "银杏", "丁香", "木棉", "红枫", "翠竹", "金桂",
          "玉兰", "芙蓉", "山茶", "茉莉", "杜鹃", "蔷薇", "石榴", "芍药", "水仙", "腊梅",
          "睡莲", "雏菊", "铃兰", "凌霄", "紫薇", "桔梗", "鸢尾", "百合", "蜡梅", "海桐")
# Crisis terms of nlp/dicts/crisis.txt none of which contains another.
CRISIS_TERMS = ("爆炸", "起火", "自燃", "冒烟", "烫伤", "触电", "漏电", "受伤", "猝死",
                "致癌", "有毒", "异物", "发霉", "过期", "维权", "曝光", "起诉", "法院",
                "报警", "抵制", "召回", "欺诈", "假货", "虫子", "记者", "烧伤")
BURST_SIZE = 10
CRAWL_INTERVAL = 15  # seconds; KOUBEI_BENCH_E2E_INTERVAL sets another
GIVE_UP = 150.0  # seconds after publication
HISTORY = timedelta(days=2)
CONFIG = """\
timezone: Asia/Shanghai
detect_after_crawl: {after_crawl}
entities:
{entities}
sources:
  - {{name: bench-appstore, type: appstore, base_url: "{source}", app_id: "{app_id}",
     interval: {interval}}}
rules:
  - {{name: negative-spike, type: negative_spike, channels: [hook]}}
  - {{name: crisis, type: crisis_keyword, channels: [hook]}}
channels:
  - {{name: hook, type: webhook, url: "{hook}"}}
users:
  - {{username: admin, display_name: 管理员, role: admin, entities: ["*"]}}
"""


class Feed:
    """The App Store feed of what has been published so far, newest first."""

    def __init__(self, history: list[DemoReview]):
        self.reviews = sorted(history, key=lambda r: r.published_at, reverse=True)
        self.lock = threading.Lock()
        self.requests: list[tuple[float, str]] = []  # (time.time(), "robots" | "page N")

    def requested(self, what: str) -> None:
        with self.lock:
            self.requests.append((time.time(), what))

    def publish(self, reviews: list[DemoReview]) -> float:
        """Show ``reviews`` from now on; returns the time (``time.time()``) they appeared."""
        with self.lock:
            self.reviews[:0] = reviews
            return time.time()

    def page(self, number: int, base_url: str) -> dict:
        with self.lock:
            shown = list(self.reviews[:500])
        return render_page(shown, number, base_url=base_url, country="cn", app_id=APP_ID,
                           as_of=datetime.now(timezone.utc))


class Receiver:
    """The webhook receiver: every notice body with the time it arrived."""

    def __init__(self):
        self.notices: list[tuple[float, dict]] = []
        self.lock = threading.Lock()

    def got(self, body: bytes) -> None:
        with self.lock:
            self.notices.append((time.time(), json.loads(body)))

    def first(self, rule: str, group: str) -> float | None:
        with self.lock:
            return next((at for at, n in self.notices if n.get("rule") == rule
                         and n.get("group_key") == group and n.get("kind") == "opened"), None)


def serve(feed: Feed, receiver: Receiver) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            if self.path == "/robots.txt":
                feed.requested("robots")
                return self.reply(b"User-agent: *\nAllow: /\n", "text/plain")
            page = int(self.path.split("page=")[1].split("/")[0]) if "page=" in self.path else 1
            feed.requested(f"page {page}")
            base = f"http://127.0.0.1:{self.server.server_port}"
            self.reply(json.dumps(feed.page(page, base), ensure_ascii=False).encode())

        def do_POST(self):  # noqa: N802
            receiver.got(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.reply(b'{"ok": true}')

        def reply(self, body: bytes, kind: str = "application/json") -> None:
            self.send_response(200)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@dataclass
class Writer:
    """Review texts from the demo site's phrases, about one of ``BRANDS``."""
    rng: random.Random
    writer: ReviewWriter = field(default_factory=ReviewWriter)
    number: int = 7_000_000_000

    def review(self, brand: str | None, sentiment: str, at: datetime,
               text: str | None = None) -> DemoReview:
        self.number += 1
        written = self.writer.write(self.rng, sentiment)
        content = text or f"{brand}手机：{written.content}"
        return DemoReview(str(self.number), self.writer.author(self.rng),
                          str(self.rng.randint(10**8, 10**9 - 1)),
                          at.replace(microsecond=0), written.rating, written.version,
                          written.title, content, 0, 0, sentiment, "zh-Hans")

    def calm(self, brand: str, at: datetime) -> DemoReview:
        draw = self.rng.random()
        return self.review(brand, "negative" if draw < 0.1 else "neutral" if draw < 0.3
                           else "positive", at)


def history(writer: Writer, brands: list[str], now: datetime) -> list[DemoReview]:
    """Calm reviews over ``HISTORY``, about 15 a day per brand (the feed shows the newest
    500, so the first crawl reads them all)."""
    count = min(480, 15 * len(brands) * HISTORY.days)
    return [writer.calm(writer.rng.choice(brands), now - HISTORY * writer.rng.random())
            for _ in range(count)]


@dataclass(frozen=True)
class Event:
    kind: str   # burst | crisis
    rule: str
    group: str  # the entity (burst) or the crisis term
    brand: str | None


def events(rng: random.Random, count: int) -> list[Event]:
    bursts = [Event("burst", "negative-spike", f"b{n:02d}", BRANDS[n]) for n in range(count)]
    crises = [Event("crisis", "crisis", term, None) for term in CRISIS_TERMS[:count]]
    order = bursts + crises
    rng.shuffle(order)
    return order


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_system(after_crawl: bool, count: int, work: Path, seed: int = 1,
               interval: int = CRAWL_INTERVAL) -> tuple[dict[str, list[float]], dict]:
    """Latencies in seconds by event kind (a miss is ``inf``), and what the system did."""
    rng = random.Random(seed)
    writer = Writer(random.Random(seed))
    brands = list(BRANDS[:count])
    feed = Feed(history(writer, brands, datetime.now(timezone.utc)))
    receiver = Receiver()
    server = serve(feed, receiver)
    base = f"http://127.0.0.1:{server.server_port}"
    home = work / ("after-crawl" if after_crawl else "tick-only")
    home.mkdir()
    entities = "\n".join(f"  - {{id: b{n:02d}, name: {b}手机, keywords: [{b}手机]}}"
                         for n, b in enumerate(brands))
    (home / "koubei.yaml").write_text(CONFIG.format(
        after_crawl=str(after_crawl).lower(), entities=entities, source=base, app_id=APP_ID,
        interval=f"{interval}s", hook=f"{base}/hooks"), encoding="utf-8")
    log = (home / "koubei.log").open("ab")
    system = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "run", "--home", str(home), "--port",
         str(free_port())], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
        start_new_session=True, env={**os.environ, "KOUBEI_ADMIN_PASSWORD": "bench-e2e"})
    state = None
    stop, published = threading.Event(), {}
    try:
        _wait(lambda: (home / "state.db").exists(), 120, system)
        state = StateDB(f"sqlite:///{home / 'state.db'}")
        _wait(lambda: _crawls_done(state) >= 2, 300, system)  # the history in, and one more
        calm = threading.Thread(target=_calm_traffic, args=(feed, writer, brands, stop))
        calm.start()
        for event in events(rng, count):
            time.sleep(rng.uniform(2.5, 5.0))
            now = datetime.now(timezone.utc)
            if event.kind == "burst":
                reviews = [writer.review(event.brand, "negative", now) for _ in range(BURST_SIZE)]
            else:
                reviews = [writer.review(None, "negative", now,
                                         text=f"刚买的产品出现{event.group}的情况，太吓人了，"
                                              "大家一定要小心")]
            published[event] = (feed.publish(reviews), [r.native_id for r in reviews])
        end = time.time() + GIVE_UP
        while time.time() < end and not all(receiver.first(e.rule, e.group)
                                            for e in published):
            _alive(system)
            time.sleep(0.5)
        stop.set()
        calm.join()
        activity = _activity(state)
        crawls, opened = _crawls(state), _opened(state)
    finally:
        stop.set()
        if state is not None:
            state.close()
        if system.poll() is None:
            os.killpg(system.pid, signal.SIGTERM)
            try:
                system.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(system.pid, signal.SIGKILL)
                system.wait()
        log.close()
        server.shutdown()
        server.server_close()
    latencies: dict[str, list[float]] = {k: [] for k in ("burst", "crisis", "wait", "system",
                                                          *STAGES)}
    crawled = _crawled_at(home, [n for _, ids in published.values() for n in ids])
    for event, (at, ids) in published.items():
        got = receiver.first(event.rule, event.group)
        latencies[event.kind].append(got - at if got else float("inf"))
        seen = max((crawled[n] for n in ids if n in crawled), default=None)
        if event.kind == "burst" and seen is not None:
            latencies["wait"].append(seen - at)
            latencies["system"].append(got - seen if got else float("inf"))
        if event.kind == "crisis" and seen is not None and got is not None:
            for stage, value in _stages(at, seen, opened.get((event.rule, event.group)), got,
                                        crawls, feed.requests).items():
                latencies[stage].append(value)
    return latencies, activity


# Where a crisis review's time goes. The crawl that saw it: queued → claimed → its child's
# first request (robots.txt, or page 1 when robots.txt was remembered) → page 1 (these set
# when crawls look, not how long a review waits once seen); then the review's own latency,
# the sum of the last four.
STAGES = {f"crisis:{key}": label for key, label in (
    ("queued", "crawl queued → claimed by a worker"),
    ("child", "claimed → first request to the site (crawl child start)"),
    ("polite", "robots.txt → page 1 requested (politeness delay; 0: robots.txt remembered)"),
    ("crawl_end", "page 1 requested → crawl recorded finished"),
    ("wait", "crisis published → page 1 requested (wait for a crawl)"),
    ("parsed", "page 1 requested → review parsed"),
    ("stored", "parsed → stored, incident opened (NLP, store)"),
    ("notice", "incident opened → webhook received (notify)"))}


@dataclass(frozen=True)
class Crawl:
    queued: float
    claimed: float
    finished: float


def _stages(published: float, parsed: float, opened: float | None, notified: float,
            crawls: list[Crawl], requests: list[tuple[float, str]]) -> dict[str, float]:
    """One crisis review's ``STAGES`` in seconds ({} when its crawl cannot be told)."""
    crawl = next((c for c in crawls if c.claimed <= parsed <= c.finished), None)
    if crawl is None or opened is None:
        return {}
    within = [(at, what) for at, what in requests if crawl.claimed <= at <= parsed]
    robots = next((at for at, what in within if what == "robots"), None)
    page = next((at for at, what in within if what == "page 1"), None)
    if page is None:
        return {}
    found = {"crisis:queued": crawl.claimed - crawl.queued,
             "crisis:crawl_end": crawl.finished - page,
             "crisis:wait": page - published, "crisis:parsed": parsed - page,
             "crisis:stored": opened - parsed, "crisis:notice": notified - opened}
    if robots is not None:
        found |= {"crisis:child": robots - crawl.claimed, "crisis:polite": page - robots}
    else:  # robots.txt remembered from an earlier crawl
        found |= {"crisis:child": page - crawl.claimed, "crisis:polite": 0.0}
    return found


def _crawls(state: StateDB) -> list[Crawl]:
    with state.session() as session:
        return [Crawl(j.enqueued_at.timestamp(), j.claimed_at.timestamp(),
                      j.finished_at.timestamp())
                for j in session.scalars(select(CrawlJob).where(CrawlJob.status == "done")
                                         .order_by(CrawlJob.id))]


def _opened(state: StateDB) -> dict[tuple[str, str], float]:
    """When each (rule, group)'s first incident opened, as ``time.time()``."""
    with state.session() as session:
        incidents = session.scalars(select(Incident).order_by(Incident.id)).all()
    opened: dict[tuple[str, str], float] = {}
    for incident in incidents:
        opened.setdefault((incident.rule, incident.group_key), incident.opened_at.timestamp())
    return opened


def _crawled_at(home: Path, native_ids: list[str]) -> dict[str, float]:
    """When the crawl analysed each review (``crawled_at``), as ``time.time()``."""
    store = open_review_store("sqlite", home)
    try:
        found = {n: store.get(review_id("bench-appstore", n)) for n in native_ids}
    finally:
        store.close()
    return {n: r.crawled_at.timestamp() for n, r in found.items() if r is not None}


def _calm_traffic(feed: Feed, writer: Writer, brands: list[str], stop: threading.Event
                  ) -> None:
    while not stop.wait(writer.rng.uniform(2.0, 6.0)):
        feed.publish([writer.calm(writer.rng.choice(brands), datetime.now(timezone.utc))])


def _crawls_done(state: StateDB) -> int:
    try:
        with state.session() as session:
            return len(session.scalars(select(CrawlJob.id).where(CrawlJob.status == "done"))
                       .all())
    except Exception:  # the system has not created its state database yet
        return 0


def _activity(state: StateDB) -> dict:
    """Median crawl and detection-run durations (s) and how many detection runs of each kind."""
    with state.session() as session:
        crawls = [(j.finished_at - j.claimed_at).total_seconds() for j in session.scalars(
            select(CrawlJob).where(CrawlJob.status == "done"))]
        runs = session.scalars(select(JobRun).where(JobRun.finished_at.is_not(None))).all()
    detections = [(r.finished_at - r.started_at).total_seconds() for r in runs]
    return {"crawl_s": statistics.median(crawls) if crawls else float("nan"),
            "detection_s": statistics.median(detections) if detections else float("nan"),
            "ticks": sum(r.job == "detect" for r in runs),
            "after_crawl": sum(r.job == "detect:after-crawl" for r in runs)}


def _alive(system: subprocess.Popen) -> None:
    if system.poll() is not None:
        raise RuntimeError(f"koubei run exited with status {system.returncode}")


def _wait(check, limit: float, system: subprocess.Popen) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        _alive(system)
        if check():
            return
        time.sleep(0.5)
    raise RuntimeError("the system did not crawl its source in time")


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) by linear interpolation; a miss (inf) counts as slowest."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    if ordered[high] == float("inf"):
        return float("inf")
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def run() -> list[Figure]:
    count = min(int(os.environ.get("KOUBEI_BENCH_E2E_BURSTS", "24")), len(CRISIS_TERMS))
    interval = int(os.environ.get("KOUBEI_BENCH_E2E_INTERVAL", CRAWL_INTERVAL))
    with tempfile.TemporaryDirectory(prefix="koubei-e2e-") as scratch:
        ours, done = run_system(True, count, Path(scratch), interval=interval)
        base, base_done = run_system(False, count, Path(scratch), interval=interval)
    print(f"e2e: after-crawl system: {done}; tick-only: {base_done}", file=sys.stderr)
    figures = []
    baseline = "same run, detection on the minute tick only (detect_after_crawl: false)"
    for kind, label, p95_target in (("burst", "negative burst → webhook", 30.0),
                                    ("crisis", "crisis review → webhook", 10.0),
                                    ("wait", "burst published → crawled", None),
                                    ("system", "burst crawled → webhook", None)):
        missed = sum(v == float("inf") for v in ours[kind])
        note = f"{len(ours[kind])} events, {missed} missed" if kind in ("burst", "crisis") \
            else f"{len(ours[kind])} bursts"
        for q, target in ((0.5, None), (0.95, p95_target)):
            value = percentile(ours[kind], q)
            figures.append(Figure(
                f"e2e {label}, p{int(q * 100)} ({note}; crawl every {interval} s)", value, "s",
                percentile(base[kind], q), baseline,
                f"<= {target:.0f} s" if target else "", value <= target if target else None))
    for stage, label in STAGES.items():
        for q in (0.5, 0.95):
            figures.append(Figure(f"e2e {label}, p{int(q * 100)} ({len(ours[stage])} crisis "
                                  f"reviews)", percentile(ours[stage], q), "s",
                                  percentile(base[stage], q), baseline))
    return figures
