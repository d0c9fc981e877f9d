"""The trade-off curve of the realistic benchmark: recall against false incidents per week.

``python -m benchmarks realistic_curve`` builds the streams of ``benchmarks.realistic_bench``
(same sizes, volumes and seeds, same environment variables) and, in one run, per volume:

- replays our default rule at each ``false_alarms_per_week`` of ``BUDGETS`` (the knob's
  curve; 0.5 is the default; ``KOUBEI_BENCH_BUDGETS=0.5,2`` picks others), and the previous
  default (one 10-minute window, a per-tick p-value of 0.001);
- sweeps the ElastAlert-style spike rule (spike height × current-count threshold × reference
  threshold) and the fixed threshold (K negatives in the last hour) over their whole grid,
  summed over the seeds, and keeps each one's Pareto front: for every recall it reaches, the
  fewest false incidents a week at that recall or more, with the median delay.

Each of our points is printed beside the fewest false incidents each baseline needs to reach at
least the same recall (its best setting for that recall, chosen on the stream itself, which
flatters it), then each baseline's front. Slow: a 4,000/day stream takes six replays; pick
volumes with ``KOUBEI_BENCH_VOLUMES``.
"""
from __future__ import annotations

import os
import sys
from datetime import timedelta

from benchmarks.detection_bench import opened_by
from benchmarks.realistic_bench import (
    PREVIOUS,
    RESOLVE_AFTER,
    RULE,
    Outcome,
    counts,
    fixed_rules,
    replay,
    score,
    settings,
    spike_rules,
    streams,
)
from benchmarks.table import Figure

BUDGETS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)


def run() -> list[Figure]:
    budgets = [float(b) for b in os.environ.get("KOUBEI_BENCH_BUDGETS", "").split(",") if b] \
        or BUDGETS
    volumes, weeks, seeds = settings()
    figures = []
    for per_day in volumes:
        ours = {b: Outcome() for b in budgets}
        before = Outcome()
        spike: dict[int, Outcome] = {}
        fixed: dict[int, Outcome] = {}
        built = list(streams(per_day, weeks, seeds))
        top = max(max(counts(s, s.start + timedelta(weeks=1))[1], default=3) for s in built)
        for stream in built:
            print(f"  curve {per_day}/day, seed {stream.seed} ...", file=sys.stderr, flush=True)
            start = stream.start + timedelta(weeks=1)
            test_weeks = (stream.end - start) / timedelta(weeks=1)
            bursts = len(stream.bursts)
            for budget, outcome in ours.items():
                opened = replay(stream, dict(RULE, false_alarms_per_week=budget))
                outcome.add(score(opened, stream), bursts, test_weeks)
            before.add(score(replay(stream, PREVIOUS), stream), bursts, test_weeks)
            ticks, cur, ref = counts(stream, start)
            for sweep, rules in ((spike, spike_rules(cur, ref, top)),
                                 (fixed, fixed_rules(cur, top))):
                for i, fires in enumerate(rules):
                    sweep.setdefault(i, Outcome()).add(
                        score(opened_by(fires, ticks, RESOLVE_AFTER), stream), bursts, test_weeks)
        figures += _figures(per_day, ours, before, front(spike.values()), front(fixed.values()))
    return figures


def front(outcomes) -> list[Outcome]:
    """The Pareto front of a baseline's settings: for each recall reached, the setting with
    the fewest false incidents among those reaching at least that recall, by recall
    descending (a setting with more false incidents than a higher-recall one is dropped)."""
    best: list[Outcome] = []
    for o in sorted(outcomes, key=lambda o: (-o.recall, o.false_per_week, o.delay)):
        if not best or o.false_per_week < best[-1].false_per_week:
            best.append(o)
    return best


def at_recall(points: list[Outcome], recall: float) -> Outcome | None:
    """The front's point with the fewest false incidents at ``recall`` or more."""
    reached = [o for o in points if o.recall >= recall - 1e-9]
    return min(reached, key=lambda o: o.false_per_week) if reached else None


def _point(o: Outcome | None) -> str:
    if o is None:
        return "never reaches it"
    return f"{o.false_per_week:.2f}/week (recall {o.recall:.0%}, delay {o.delay:.0f} min)"


def _figures(per_day: int, ours: dict[float, Outcome], before: Outcome, spike: list[Outcome],
             fixed: list[Outcome]) -> list[Figure]:
    v = f"{per_day:,}/day"
    out = []
    for budget, o in [*ours.items(), (None, before)]:
        s, f = at_recall(spike, o.recall), at_recall(fixed, o.recall)
        name = f"budget {budget:g}" if budget is not None else "previous default (10m, p<0.001)"
        out.append(Figure(
            f"{v}: {name}: recall {o.recall:.0%}, delay {o.delay:.0f} min; "
            "false/week", o.false_per_week, "/week", None if s is None else s.false_per_week,
            f"ElastAlert spike at >= that recall: {_point(s)}; fixed: {_point(f)}"))
    for name, points in (("ElastAlert spike", spike), ("fixed threshold", fixed)):
        for o in points:
            out.append(Figure(f"{v}: {name} front: recall {o.recall:.0%}, delay "
                              f"{o.delay:.0f} min; false/week", o.false_per_week, "/week"))
    return out
