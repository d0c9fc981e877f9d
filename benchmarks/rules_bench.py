"""Every counting rule type at its defaults: false incidents per week on calm streams, recall
and delay on streams built to trigger it, at several volumes, beside the settings before
calibration (``p_value: 0.001``, one window) replayed on the same streams in the same run.
Also the time a backtest takes (``backtest`` figures), beside reading the live store at every
tick as replays did before.

Streams are built from the real review texts of ``benchmarks.realistic_stream`` (dev and test
splits, mixed by gold label: about 75% positive, 12% neutral, 13% negative) with its
seasonality and day-to-day noise (no launch, holiday or sale: those are real changes), and
labelled by the shipped model through ``nlp.enrich``: rules see model labels, never gold ones.
Ratings come with the text as a site shows them (gold positive 4–5 stars, neutral 3, negative
1–3). One brand, one source, one baseline week, then ``TEST_WEEKS`` replayed at ``INTERVAL``:

- calm: nothing else; every incident of any rule is false;
- complaints: ``BURSTS`` bursts a week of gold-negative texts of one review domain (one
  theme; low ratings), 15 min to 6 h long, 3–8 × the negatives expected over their length
  (at least 8): the trigger of ``negative_share``, ``rating_drop`` and ``emerging_topic``;
- virality: bursts of ordinary (calm-mix) reviews, 3–8 × the reviews expected (at least 15):
  the trigger of ``volume_spike``;
- outages: the source stops for 2, 6, 12 or 24 hours (``BURSTS`` a week): the trigger of
  ``source_silent``.

An incident opened between a trigger's start and one hour after its end detects it; any other
incident is false. Delay is from the trigger's start. ``KOUBEI_BENCH_VOLUMES`` picks volumes
(reviews a day; default ``VOLUMES``).

Backtest speed: five sources of about 340 reviews a day for 11 days (the size of the issue's
report), five rules (``negative_spike``, ``negative_share``, ``volume_spike``,
``rating_drop`` grouped by source, ``source_silent``), every 5 minutes over the 11 days.
``KOUBEI_BENCH_BACKTEST_BASELINE_DAYS`` shortens the baseline's replay to the last days
(reading the store at every tick is slow); its time is then scaled to 11 days and says so.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from alerting.detect.backtest import backtest
from alerting.detect.rules import RULE_TYPES
from benchmarks.detection_bench import caught
from benchmarks.realistic_stream import (
    BEIJING,
    BURST_LENGTHS,
    DAY_NOISE,
    ENTITY,
    GOLD_SHARES,
    SOCIAL,
    Stream,
    label,
    poisson,
    texts,
)
from benchmarks.table import Figure
from models.config import EntityConfig, KoubeiConfig
from models.review import Review
from models.runtime import Runtime

INTERVAL = timedelta(minutes=10)
CAUGHT_AFTER = timedelta(hours=1)
VOLUMES = (100, 1000)
TEST_WEEKS = 1
BURSTS = 5
OUTAGES = [2, 6, 12, 24]  # hours
RULES = {"negative_share": "complaints", "volume_spike": "virality",
         "rating_drop": "complaints", "emerging_topic": "complaints",
         "source_silent": "outages"}
BEFORE = {"p_value": 0.001}  # the defaults before calibration
SOURCE = "bench"
FAR = datetime(2100, 1, 1, tzinfo=timezone.utc)
KINDS = ("calm", "complaints", "virality", "outages")


class CalmStream(Stream):
    """``realistic_stream.Stream`` without its launch, holiday and sale."""

    @property
    def launch(self) -> datetime:
        return FAR

    @property
    def holiday(self) -> tuple[datetime, datetime]:
        return FAR, FAR

    @property
    def sale(self) -> tuple[datetime, datetime]:
        return FAR, FAR


@dataclass
class Trigger:
    start: datetime
    end: datetime


@dataclass
class Built:
    stream: CalmStream
    reviews: list[Review]
    triggers: list[Trigger] = field(default_factory=list)


def _rating(rng: random.Random, gold: str) -> float:
    if gold == "positive":
        return rng.choice([5.0, 5.0, 5.0, 4.0, 4.0])
    if gold == "neutral":
        return 3.0
    return rng.choice([1.0, 1.0, 2.0, 2.0, 3.0])


def build(per_day: float, kind: str, seed: int = 1) -> Built:
    """One stream of ``kind`` (calm, complaints, virality, outages); reviews unlabelled."""
    rng = random.Random(seed * 7919 + int(per_day) + KINDS.index(kind) * 100_003)
    pool = texts()
    flat = {g: [t for d in sorted(by) for t in by[d]] for g, by in pool.items()}
    weeks = 1 + TEST_WEEKS
    stream = CalmStream(per_day, weeks, seed, [], [], [], _day_noise={})
    day0 = stream.start
    stream._day_noise.update({(day0 + timedelta(days=d)).astimezone(BEIJING).date():
                              rng.lognormvariate(0, DAY_NOISE) for d in range(weeks * 7 + 1)})
    reviews: list[Review] = []

    def add(at: datetime, gold: str, text: str) -> None:
        reviews.append(Review.create(SOURCE, f"{kind}{len(reviews)}", text, platform="bench",
                                     published_at=at, entities=[ENTITY],
                                     rating=_rating(rng, gold)))

    def calm_gold() -> str:
        roll = rng.random()
        return ("negative" if roll < GOLD_SHARES["negative"] else "neutral"
                if roll < GOLD_SHARES["negative"] + GOLD_SHARES["neutral"] else "positive")

    hour = stream.start
    while hour < stream.end:
        lam = stream.rate(hour)
        for _ in range(poisson(rng, lam)):
            gold = calm_gold()
            add(hour + timedelta(seconds=rng.uniform(0, 3600)), gold, rng.choice(flat[gold]))
        hour += timedelta(hours=1)
    built = Built(stream, reviews)
    slot = timedelta(weeks=1) / BURSTS
    domains = sorted(d for d, t in pool["negative"].items() if len(t) >= 50 and d not in SOCIAL)
    for week in range(1, weeks):
        for k in range(BURSTS):
            if kind == "calm":
                continue
            hours = OUTAGES[k % len(OUTAGES)] if kind == "outages" else None
            length = timedelta(hours=hours) if hours else \
                timedelta(minutes=rng.choice(BURST_LENGTHS))
            room = slot - length - timedelta(hours=6)
            start = stream.start + timedelta(weeks=week) + slot * k + room * rng.random()
            built.triggers.append(Trigger(start, start + length))
            if kind == "outages":
                reviews[:] = [r for r in reviews if not start <= r.published_at < start + length]
                continue
            share = GOLD_SHARES["negative"] if kind == "complaints" else 1.0
            expected = _expected(stream, start, start + length) * share
            size = max(8 if kind == "complaints" else 15, round(rng.uniform(3, 8) * expected))
            domain = rng.choice(domains)
            for _ in range(size):
                at = start + length * rng.random()
                if kind == "complaints":
                    add(at, "negative", rng.choice(pool["negative"][domain]))
                else:
                    gold = calm_gold()
                    add(at, gold, rng.choice(flat[gold]))
    reviews.sort(key=lambda r: r.published_at)
    return built


def _expected(stream: Stream, start: datetime, end: datetime) -> float:
    total, at, step = 0.0, start, timedelta(minutes=5)
    while at < end:
        piece = min(step, end - at)
        total += stream.rate(at) * piece / timedelta(hours=1)
        at += piece
    return total


def rule_config(rule_type: str, before: bool):
    model = RULE_TYPES.resolve(rule_type).config_model
    options = dict(name=rule_type, type=rule_type, entities=[ENTITY])
    return model(**options, **(BEFORE if before else {}))


def replay(built: Built, rule_types: list[str], before: bool) -> dict[str, list[datetime]]:
    """Opening times of each rule's incidents over the test weeks."""
    with tempfile.TemporaryDirectory(prefix="koubei-rules-") as home:
        config = KoubeiConfig(
            entities=[EntityConfig(id=ENTITY, name="某品牌", keywords=["某品牌"])],
            detection_interval=INTERVAL,
            rules=[rule_config(t, before) for t in rule_types])
        runtime = Runtime(config, Path(home) / "koubei.yaml", Path(home))
        try:
            runtime.store.upsert(built.reviews)
            result = backtest(runtime, built.stream.start + timedelta(weeks=1),
                              built.stream.end)
        finally:
            runtime.close()
    opened: dict[str, list[datetime]] = {t: [] for t in rule_types}
    for incident in result.incidents:
        opened[incident["rule"]].append(datetime.fromisoformat(incident["opened_at"]))
    return opened


@dataclass
class Score:
    triggers: int = 0
    detected: int = 0
    false: int = 0
    delays: list = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.detected / self.triggers if self.triggers else float("nan")

    @property
    def false_per_week(self) -> float:
        return self.false / TEST_WEEKS

    @property
    def delay(self) -> float:
        return statistics.median(self.delays) if self.delays else float("nan")


def score(opened: list[datetime], triggers: list[Trigger]) -> Score:
    hits, false = caught(opened, triggers, CAUGHT_AFTER)
    return Score(triggers=len(triggers), detected=len(hits), false=false,
                 delays=[(at - t.start) / timedelta(minutes=1) for t, at in hits])


def run() -> list[Figure]:
    volumes = [int(v) for v in os.environ.get("KOUBEI_BENCH_VOLUMES", "").split(",") if v] \
        or VOLUMES
    from nlp.enrich import Enricher

    enricher = Enricher()
    figures = []
    for per_day in volumes:
        streams = {}
        for kind in KINDS:
            print(f"  rules: {kind} stream at {per_day}/day ...", file=sys.stderr, flush=True)
            streams[kind] = build(per_day, kind)
            label(streams[kind].reviews, enricher)
        calm = {b: replay(streams["calm"], list(RULES), b) for b in (False, True)}
        triggered = {}
        for kind in ("complaints", "virality", "outages"):
            types = [t for t, k in RULES.items() if k == kind]
            for before in (False, True):
                for t, opened in replay(streams[kind], types, before).items():
                    triggered[t, before] = score(opened, streams[kind].triggers)
        for t in RULES:
            ours, old = score(calm[False][t], []), score(calm[True][t], [])
            figures.append(Figure(
                f"{per_day:,}/day {t}: false incidents/week, calm stream",
                ours.false_per_week, "/week", old.false_per_week, "before (p<0.001, 1 window)",
                "<= 1", ours.false_per_week <= 1))
            mine, before = triggered[t, False], triggered[t, True]
            figures.append(Figure(
                f"{per_day:,}/day {t}: recall on {RULES[t]} ({mine.triggers})",
                mine.recall * 100, "%", before.recall * 100,
                f"before; delays {mine.delay:.0f} / {before.delay:.0f} min, false/week "
                f"{mine.false_per_week:.0f} / {before.false_per_week:.0f}", ">= 95 %",
                mine.recall >= 0.95))
    return figures


# -- backtest speed ------------------------------------------------------------------------

SPEED_SOURCES = ("weibo", "tmall", "jd", "dianping", "xhs")
SPEED_DAYS = 11
SPEED_PER_DAY = 340


def speed_reviews(enricher=None) -> tuple[datetime, list[Review]]:
    from benchmarks.realistic_stream import generate

    if enricher is None:
        from nlp.enrich import Enricher

        enricher = Enricher()
    rng = random.Random(7)
    reviews, start = [], None
    for i, source in enumerate(SPEED_SOURCES):
        stream = generate(SPEED_PER_DAY, weeks=2, seed=i + 1, bursts_per_week=2)
        start = stream.start
        end = stream.start + timedelta(days=SPEED_DAYS)
        reviews += [Review.create(source, r.native_id, r.text, platform="bench",
                                  published_at=r.published_at, entities=[ENTITY])
                    for r in stream.reviews if r.published_at < end]
    label(reviews, enricher)
    for review in reviews:
        review.rating = _rating(rng, review.sentiment.label if review.sentiment else "neutral")
    return start, reviews


SPEED_RULES = [dict(name="spike", type="negative_spike", group_by="source"),
               dict(name="share", type="negative_share", group_by="source"),
               dict(name="volume", type="volume_spike", group_by="source"),
               dict(name="rating", type="rating_drop", group_by="source"),
               dict(name="silent", type="source_silent")]


def time_backtest(start: datetime, reviews: list[Review], days: float,
                  snapshot: bool, skip: float = 0) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, incidents) of one replay of ``days`` from ``skip`` days
    after ``start``."""
    rules = [RULE_TYPES.resolve(r["type"]).config_model(**r) for r in SPEED_RULES]
    with tempfile.TemporaryDirectory(prefix="koubei-speed-") as home:
        config = KoubeiConfig(
            entities=[EntityConfig(id=ENTITY, name="某品牌", keywords=["某品牌"])],
            detection_interval=timedelta(minutes=5), rules=rules)
        runtime = Runtime(config, Path(home) / "koubei.yaml", Path(home))
        try:
            runtime.store.upsert(reviews)
            wall, cpu = time.perf_counter(), time.process_time()
            begin = start + timedelta(days=skip)
            result = backtest(runtime, begin, begin + timedelta(days=days), snapshot=snapshot)
            return (time.perf_counter() - wall, time.process_time() - cpu,
                    len(result.incidents))
        finally:
            runtime.close()


def run_backtest_speed() -> list[Figure]:
    print("  backtest speed: 5 sources x 11 days ...", file=sys.stderr, flush=True)
    start, reviews = speed_reviews()
    days = float(os.environ.get("KOUBEI_BENCH_BACKTEST_BASELINE_DAYS", SPEED_DAYS))
    wall, cpu, incidents = time_backtest(start, reviews, SPEED_DAYS, True)
    # a shortened baseline replays the last days (with a week of history, as most of them)
    base_wall, base_cpu, _ = time_backtest(start, reviews, days, False, SPEED_DAYS - days)
    scale = SPEED_DAYS / days
    note = "" if scale == 1 else f" (replayed the last {days:g} day(s), x{scale:.1f})"
    return [
        Figure(f"backtest {SPEED_DAYS} d x 5 rules x 5 sources ({len(reviews):,} reviews, "
               f"{incidents} incidents): wall", wall, "s", base_wall * scale,
               f"store read at every tick{note}", "< 30 s", wall < 30),
        Figure("backtest: CPU time (the machine is shared)", cpu, "s", base_cpu * scale,
               f"store read at every tick{note}"),
    ]
