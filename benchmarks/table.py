"""One row per figure: what was measured, our figure, the baseline's, and the target."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    met: bool | None = None  # None: no target


def render(figures: list[Figure]) -> str:
    header = ("figure", "koubei", "baseline", "baseline is", "target", "met")
    rows = [header]
    for f in figures:
        rows.append((f.name, f"{_fmt(f.value)} {f.unit}",
                     "" if f.baseline is None else f"{_fmt(f.baseline)} {f.unit}",
                     f.baseline_name, f.target,
                     "" if f.met is None else ("yes" if f.met else "NO")))
    widths = [max(_width(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        lines.append(" | ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths)))
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3f}"


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal
    return sum(2 if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 1 for ch in text)
