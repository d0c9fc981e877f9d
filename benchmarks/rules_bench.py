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
1–3). One brand, one source, one baseline week, then ``TEST_WEEKS`` test weeks (3: 15
triggers per rule type and volume) replayed at ``INTERVAL``:

- calm: nothing else; every incident of any rule is false;
- complaints: ``BURSTS`` bursts a week of gold-negative texts about one thing (each holds one
  word of ``THEMES``: 快递, 客服, 屏幕, 电池, 退货...; low ratings), 15 min to 6 h long, 3–8 ×
  the negatives expected over their length and at least 8: at 100 reviews a day that is 8
  complaints about one thing where about one negative review is expected (a handler reading
  the feed sees a burst), at 1,000 a day 8–250. The trigger of ``negative_share``,
  ``rating_drop`` and ``emerging_topic``;
- virality: bursts of ordinary (calm-mix) reviews, 3–8 × the reviews expected (at least 15):
  the trigger of ``volume_spike``;
- outages: the source stops for 2, 6, 12 or 24 hours (``BURSTS`` a week, so 2 h twice): the
  trigger of ``source_silent``. How many reviews an outage misses depends on the hour: at
  100 a day a 2-hour outage at 03:00 misses under one.

An incident opened between a trigger's start and one hour after its end detects it; any other
incident is false. Delay is from the trigger's start. Each missed trigger is logged (local
start, length, size against expectation). ``KOUBEI_BENCH_VOLUMES`` picks volumes (reviews a
day; default ``VOLUMES``), ``KOUBEI_BENCH_RULES_WEEKS`` the test weeks and
``KOUBEI_BENCH_RULES_SEEDS`` the streams (``1,2,3``: three streams of each kind, triggers and
weeks added up).

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
TEST_WEEKS = 3   # test weeks per stream (``KOUBEI_BENCH_RULES_WEEKS``)
SEEDS = (1,)     # streams per kind and volume (``KOUBEI_BENCH_RULES_SEEDS``: 1,2,...)
BURSTS = 5
OUTAGES = [2, 6, 12, 24]  # hours
RULES = {"negative_share": "complaints", "volume_spike": "virality",
         "rating_drop": "complaints", "emerging_topic": "complaints",
         "source_silent": "outages"}
BEFORE = {"p_value": 0.001}  # the defaults before calibration
SOURCE = "bench"
# What a complaint burst is about: every text of a burst holds one of these words (texts of
# any domain; each word is in 54-278 of the negative texts, 1-3% of them). A burst drawn
# from one review domain instead (hotel, fruit, tablets...) shares no word in most domains,
# which is a rise of complaints but no new topic.
THEMES = ("快递", "客服", "屏幕", "电池", "退货", "死机", "发票", "售后", "充电", "头皮",
          "隔音", "物流")
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
    size: int = 0            # reviews added (complaints, virality); 0 for an outage
    expected: float = 0.0    # reviews of the kind expected over its span without it


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


def build(per_day: float, kind: str, seed: int = 1, test_weeks: int = TEST_WEEKS) -> Built:
    """One stream of ``kind`` (calm, complaints, virality, outages); reviews unlabelled."""
    rng = random.Random(seed * 7919 + int(per_day) + KINDS.index(kind) * 100_003)
    pool = texts()
    flat = {g: [t for d in sorted(by) for t in by[d]] for g, by in pool.items()}
    weeks = 1 + test_weeks
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
    themed = {w: [t for d in sorted(pool["negative"]) if d not in SOCIAL
                  for t in pool["negative"][d] if w in t] for w in THEMES}
    for week in range(1, weeks):
        for k in range(BURSTS):
            if kind == "calm":
                continue
            hours = OUTAGES[k % len(OUTAGES)] if kind == "outages" else None
            length = timedelta(hours=hours) if hours else \
                timedelta(minutes=rng.choice(BURST_LENGTHS))
            room = slot - length - timedelta(hours=6)
            start = stream.start + timedelta(weeks=week) + slot * k + room * rng.random()
            if kind == "outages":
                before = len(reviews)
                reviews[:] = [r for r in reviews if not start <= r.published_at < start + length]
                built.triggers.append(Trigger(start, start + length, 0,
                                              _expected(stream, start, start + length)))
                built.triggers[-1].size = before - len(reviews)  # reviews lost
                continue
            share = GOLD_SHARES["negative"] if kind == "complaints" else 1.0
            expected = _expected(stream, start, start + length) * share
            size = max(8 if kind == "complaints" else 15, round(rng.uniform(3, 8) * expected))
            built.triggers.append(Trigger(start, start + length, size, expected))
            theme = rng.choice(THEMES)
            for _ in range(size):
                at = start + length * rng.random()
                if kind == "complaints":
                    add(at, "negative", rng.choice(themed[theme]))
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
    weeks: int = 0
    delays: list = field(default_factory=list)
    missed: list = field(default_factory=list)   # the triggers no incident caught

    @property
    def recall(self) -> float:
        return self.detected / self.triggers if self.triggers else float("nan")

    @property
    def false_per_week(self) -> float:
        return self.false / self.weeks if self.weeks else float("nan")

    @property
    def delay(self) -> float:
        return statistics.median(self.delays) if self.delays else float("nan")

    def add(self, other: "Score") -> None:
        self.triggers += other.triggers
        self.detected += other.detected
        self.false += other.false
        self.weeks += other.weeks
        self.delays += other.delays
        self.missed += other.missed


def score(opened: list[datetime], triggers: list[Trigger], weeks: int = TEST_WEEKS) -> Score:
    hits, false = caught(opened, triggers, CAUGHT_AFTER)
    found = {id(t) for t, _ in hits}
    return Score(triggers=len(triggers), detected=len(hits), false=false, weeks=weeks,
                 delays=[(at - t.start) / timedelta(minutes=1) for t, at in hits],
                 missed=[t for t in triggers if id(t) not in found])


def describe(trigger: Trigger) -> str:
    """A missed trigger, for the log: local start, length, size against expectation."""
    local = trigger.start.astimezone(BEIJING)
    hours = (trigger.end - trigger.start) / timedelta(hours=1)
    return f"{local:%a %H:%M} {hours:g} h, {trigger.size} vs {trigger.expected:.1f} expected"


def settings() -> tuple[list[int], list[int], int]:
    """Volumes, seeds and test weeks from the environment (else the defaults)."""
    def ints(name: str, default) -> list[int]:
        return [int(v) for v in os.environ.get(name, "").split(",") if v] or list(default)

    return (ints("KOUBEI_BENCH_VOLUMES", VOLUMES), ints("KOUBEI_BENCH_RULES_SEEDS", SEEDS),
            int(os.environ.get("KOUBEI_BENCH_RULES_WEEKS", TEST_WEEKS)))


def run() -> list[Figure]:
    volumes, seeds, weeks = settings()
    from nlp.enrich import Enricher

    enricher = Enricher()
    figures = []
    for per_day in volumes:
        calm = {b: {t: Score() for t in RULES} for b in (False, True)}
        triggered = {(t, b): Score() for t in RULES for b in (False, True)}
        for seed in seeds:
            streams = {}
            for kind in KINDS:
                print(f"  rules: {kind} stream at {per_day}/day, seed {seed}, {weeks} test "
                      f"week(s) ...", file=sys.stderr, flush=True)
                streams[kind] = build(per_day, kind, seed, weeks)
                label(streams[kind].reviews, enricher)
            for before in (False, True):
                for t, opened in replay(streams["calm"], list(RULES), before).items():
                    calm[before][t].add(score(opened, [], weeks))
            for kind in ("complaints", "virality", "outages"):
                types = [t for t, k in RULES.items() if k == kind]
                for before in (False, True):
                    for t, opened in replay(streams[kind], types, before).items():
                        triggered[t, before].add(score(opened, streams[kind].triggers, weeks))
        for t in RULES:
            ours, old = calm[False][t], calm[True][t]
            figures.append(Figure(
                f"{per_day:,}/day {t}: false incidents/week, calm stream ({ours.weeks} weeks)",
                ours.false_per_week, "/week", old.false_per_week, "before (p<0.001, 1 window)",
                "<= 1", ours.false_per_week <= 1))
            mine, before = triggered[t, False], triggered[t, True]
            figures.append(Figure(
                f"{per_day:,}/day {t}: recall on {RULES[t]} ({mine.triggers})",
                mine.recall * 100, "%", before.recall * 100,
                f"before; delays {mine.delay:.0f} / {before.delay:.0f} min, false/week "
                f"{mine.false_per_week:.2f} / {before.false_per_week:.2f}", ">= 95 %",
                mine.recall >= 0.95))
            for trigger in mine.missed:
                print(f"  missed {per_day}/day {t}: {describe(trigger)}", file=sys.stderr)
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
