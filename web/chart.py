"""Geometry for the server-side SVG charts on the trends page (no chart library).

The template draws what these functions compute: stacked bars of review counts per bucket,
and polylines for ratios in a fixed range (negative share in [0, 1], net sentiment in [-1, 1]).
Coordinates are in the SVG's own viewBox units.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from web.trend_series import TrendSeries

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 26  # margins for the axis labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    key: str
    count: int
    bucket: int  # index of the bucket, for the tooltip's time label


@dataclass(frozen=True)
class Tick:
    position: float  # y for value ticks, x for time ticks
    value: float
    bucket: int = -1


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value`` (at least 1)."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def _slot(count: int) -> float:
    return (WIDTH - LEFT - RIGHT) / max(count, 1)


def stacked_bars(series: TrendSeries, keys: Sequence[str]) -> tuple[list[Bar], list[Tick]]:
    """Bars stacked in ``keys`` order per bucket, and the y-axis ticks for the counts."""
    top = nice_ceiling(max((sum(b.counts.get(k, 0) for k in keys) for b in series.buckets),
                           default=0))
    plot_height = HEIGHT - TOP - BOTTOM
    slot = _slot(len(series.buckets))
    bars: list[Bar] = []
    for index, bucket in enumerate(series.buckets):
        base = HEIGHT - BOTTOM
        for key in keys:
            count = bucket.counts.get(key, 0)
            if not count:
                continue
            height = plot_height * count / top
            base -= height
            bars.append(Bar(round(LEFT + index * slot + slot * 0.1, 2), round(base, 2),
                            round(slot * 0.8, 2), round(height, 2), key, count, index))
    steps = next(d for d in (5, 4, 2, 1) if top % d == 0)  # whole-number count ticks
    ticks = [Tick(round(HEIGHT - BOTTOM - plot_height * i / steps, 2), top * i // steps)
             for i in range(steps + 1)]
    return bars, ticks


def time_ticks(series: TrendSeries, most: int = 8) -> list[Tick]:
    """At most ``most`` evenly spaced bucket labels along the x axis."""
    count = len(series.buckets)
    every = max(1, -(-count // most))
    slot = _slot(count)
    return [Tick(round(LEFT + (i + 0.5) * slot, 2), i, i) for i in range(0, count, every)]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float
    bucket: int


def ratio_points(values: Sequence[float | None], low: float, high: float) -> list[Point]:
    """One point per bucket with a known value, scaled so ``low``..``high`` fills the plot."""
    slot = _slot(len(values))
    return [Point(round(LEFT + (i + 0.5) * slot, 2), ratio_y(v, low, high), v, i)
            for i, v in enumerate(values) if v is not None]


def ratio_lines(points: Sequence[Point]) -> list[str]:
    """SVG ``points`` strings, one per run of consecutive buckets (empty buckets break it)."""
    runs: list[list[Point]] = []
    for point in points:
        if runs and runs[-1][-1].bucket == point.bucket - 1:
            runs[-1].append(point)
        else:
            runs.append([point])
    return [" ".join(f"{p.x},{p.y}" for p in run) for run in runs if len(run) > 1]


def ratio_y(value: float, low: float, high: float) -> float:
    return round(TOP + (HEIGHT - TOP - BOTTOM) * (high - value) / (high - low), 2)
