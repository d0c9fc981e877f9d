"""Numbers as people read them, the same in every language and with no request needed (the
pages' Jinja filters in ``web.display``, the briefings in ``web.reports``): "—" for a figure
that is not there."""
from __future__ import annotations

DASH = "—"


def signed(value: float | None, digits: int = 2) -> str:
    return DASH if value is None else f"{value:+.{digits}f}"


def percent(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.1f}%"


def points(value: float | None) -> str:
    """A change of a share, in percentage points: ``+3.2 pp``; "—" for None."""
    return DASH if value is None else f"{value * 100:+.1f} pp"


def number(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def duration(seconds: float | None) -> str:
    """``3m20s``, ``1h05m``, ``2d3h``; "—" for None (language-neutral units)."""
    if seconds is None:
        return DASH
    s = int(round(seconds))
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600}h"


def p_value_text(value: float) -> str:
    """A p-value as ``< 0.001`` or to three places."""
    return "< 0.001" if value < 0.001 else f"{value:.3f}"
