"""Why bursts of the realistic benchmark are missed: each burst against the default rule.

``python -m benchmarks realistic_misses`` (on request, same streams, sizes and environment
variables as ``benchmarks.realistic_bench``) prints, per volume and seed:

- the default rule replayed as the benchmark replays it, and in the same run the same rule
  with the calibration it had before (``previous_calibration``: each window kept to its own
  share of the budget, and the level's first round judged against the share of the whole
  baseline);
- one line per burst: caught or missed (by the default), its length, size and the reviews of
  it the model labels negative, and the window that came closest to firing at any tick from
  the burst's start to an hour after its end (the benchmark's ticks): its count, the count
  expected and the calibrated threshold, and the ``false_alarms_per_week`` the rule would
  need to fire on it there (its window's crossing rate at that count, times the windows'
  share; "never" when ``min_count`` or ``min_ratio`` holds it back);
- how well each review's own label tells a burst review from a calm one, counting hard
  labels (1 for a review labelled negative) or the model's probability of negative (its
  ``score`` is ``p(positive) − p(negative)``): the mean a burst review adds over the root mean
  square a calm review adds (a count's noise grows with it). A count of probabilities only
  helps if that ratio is larger.
"""
from __future__ import annotations

import math
import statistics
import tempfile
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

from alerting.detect.backtest import backtest, lookback
from alerting.detect.rules import build_rule
from alerting.detect.rules import negative_spike as spike
from alerting.detect.rules.negative_spike import NEGATIVE, NegativeSpikeConfig
from alerting.detect.tick import entity_names, rule_context
from benchmarks.realistic_bench import CAUGHT_AFTER, INTERVAL, RULE, score, settings, streams
from benchmarks.realistic_stream import ENTITY, Stream
from benchmarks.table import Figure
from models.config import EntityConfig, KoubeiConfig
from models.review import Review
from models.runtime import Runtime
from models.store.snapshot import SnapshotStore


def run(size: str | None = None) -> list[Figure]:
    volumes, weeks, seeds = settings(size)
    figures = []
    for per_day in volumes:
        for stream in streams(per_day, weeks, seeds):
            figures += misses(stream)
    return figures


def misses(stream: Stream) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="koubei-misses-") as home:
        config = KoubeiConfig(
            entities=[EntityConfig(id=ENTITY, name="某品牌", keywords=["某品牌"])],
            events=stream.events, detection_interval=INTERVAL,
            rules=[NegativeSpikeConfig(**RULE)])
        runtime = Runtime(config, Path(home) / "koubei.yaml", Path(home))
        try:
            runtime.store.upsert(stream.reviews)
            start = stream.start + timedelta(weeks=1)
            weeks = (stream.end - start) / timedelta(weeks=1)
            results = {}
            for current in (True, False):
                with nullcontext() if current else previous_calibration():
                    opened = [datetime.fromisoformat(i["opened_at"])
                              for i in backtest(runtime, start, stream.end).incidents]
                results[current] = score(opened, stream)
            rule = build_rule(config.rules[0], entity_names(config), rule_context(runtime))
            store = SnapshotStore(runtime.store, start - lookback([rule]), stream.end)
            print(f"\n{stream.per_day:,.0f}/day, seed {stream.seed}: burst (caught by the "
                  "default) | length | size | model negatives | closest window: count / "
                  "expected / threshold | the budget it needs")
            for burst in stream.bursts:
                print(_burst_line(burst, results[True]["detected"].get(burst),
                                  closest(rule, store, burst, start)))
        finally:
            runtime.close()
    snr = {soft: separation(stream.reviews, stream, soft) for soft in (False, True)}
    print(f"  burst/calm separation per review: labels {snr[False]:.3f}, "
          f"probabilities {snr[True]:.3f}")
    v = f"{stream.per_day:,.0f}/day seed {stream.seed}"
    ours, before = results[True], results[False]
    return [
        Figure(f"{v}: recall (default)", ours["recall"] * 100, "%",
               before["recall"] * 100, "previous calibration"),
        Figure(f"{v}: false incidents/week (default)", ours["false"] / weeks, "/week",
               before["false"] / weeks, "previous calibration", "<= 1"),
        Figure(f"{v}: per-review separation, P(negative) summed", snr[True], "",
               snr[False], "hard labels counted"),
    ]


@contextmanager
def previous_calibration() -> Iterator[None]:
    """The calibration before the windows pooled their budget and the level's first round
    left out the most excessive blocks."""
    pooled, trimmed = spike.POOL_WINDOWS, spike.NegativeSpikeRule._trimmed
    spike.POOL_WINDOWS = False
    spike.NegativeSpikeRule._trimmed = staticmethod(lambda past: (past.negatives(),
                                                                  past.total()))
    try:
        yield
    finally:
        spike.POOL_WINDOWS = pooled
        spike.NegativeSpikeRule._trimmed = staticmethod(trimmed)


def closest(rule, store, burst, start: datetime):
    """The test that came closest to firing at the benchmark's ticks from the burst's start
    to ``CAUGHT_AFTER`` after its end, and the false incidents per week the rule would need
    as its budget to fire on it (``math.inf`` when ``min_count`` or ``min_ratio`` holds it
    back whatever the budget): the smallest such budget over the ticks and windows."""
    c = rule.config
    now = start + math.ceil((burst.start - start) / INTERVAL) * INTERVAL
    best, need = None, math.inf
    while now <= burst.end + CAUGHT_AFTER:
        counts = {w: store.count(rule.query(ENTITY, now - w, now, NEGATIVE))[None]
                  for w in rule.windows}
        for test in rule.tests(store, ENTITY, counts, now,
                               rule._borrowed(store, ENTITY, now, {})):
            held = test.count < c.min_count or test.count < c.min_ratio * test.expected
            budget = (math.inf if held else
                      test.calibration["rate_at_count"] * c.false_alarms_per_week)
            if best is None or (budget, test.threshold - test.count) < (
                    need, best.threshold - best.count):
                best, need = test, budget
        now += INTERVAL
    return best, need


def _burst_line(burst, caught_at: datetime | None, closest_test) -> str:
    test, need = closest_test
    minutes = (burst.end - burst.start) / timedelta(minutes=1)
    state = (f"caught after {(caught_at - burst.start) / timedelta(minutes=1):.0f} min"
             if caught_at else "MISSED")
    window = f"{test.window / timedelta(minutes=1):.0f} min" if test else "-"
    numbers = (f"{test.count} / {test.expected:.1f} / {test.threshold}" if test else "-")
    budget = ("never (min_count / min_ratio)" if math.isinf(need) else
              f"fires at a budget of {need:.2g}/week")
    return (f"  {burst.start:%m-%d %H:%M} UTC {state:>20} | {minutes:4.0f} min | "
            f"{burst.size:4d} | {burst.model_negatives:4d} | {window:>7}: {numbers} | "
            f"{budget}")


def weight(review: Review, soft: bool) -> float:
    """What one review adds to a negative count: its hard label, or ``p(negative)``."""
    sentiment = review.sentiment
    if not soft:
        return 1.0 if sentiment.label == "negative" else 0.0
    return (1.0 - sentiment.score) / 2.0


def separation(reviews: list[Review], stream: Stream, soft: bool) -> float:
    """Mean weight of a burst review over the root mean square weight of a calm one."""
    burst_ids = {i for b in stream.bursts for i in b.ids}
    burst = [weight(r, soft) for r in reviews if r.id in burst_ids and r.sentiment]
    calm = [weight(r, soft) ** 2 for r in reviews if r.id not in burst_ids and r.sentiment]
    if not burst or not calm:
        return float("nan")
    return statistics.fmean(burst) / math.sqrt(statistics.fmean(calm))
