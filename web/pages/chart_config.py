"""The JSON each page embeds for ``static/charts.js`` (ECharts): one generic shape, so the
script knows nothing about reviews.

``{"labels": [x labels], "links": [{feed filters of each x}], "feed": URL, "base": {feed
filters of the whole chart}, "percent": bool (y axis in %), "zoom": bool (a time axis),
"bounds": [min, max] of the first y axis or null,
"series": [{"name", "type": "bar"|"line", "values": [...], "stack": str|None,
"area": bool, "filter": {feed filters of the series}, "axis": 0|1, "color": CSS colour
or null}]}``

Ratio values of buckets under the minimum volume are null: the line has a gap there instead
of a jump to ±100% on two reviews. A click on a bar or point opens the feed filtered by
``base`` + the series' ``filter`` + the bucket's ``links`` entry.
"""
from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from flask import url_for

from web.display import localtime


def label_format(interval: str) -> str:
    """How a bucket's start is written (local time): its hour, or its day."""
    return "%m-%d %H:00" if interval == "hour" else "%Y-%m-%d"


def time_axis(starts_ends: list[tuple[datetime, datetime]], interval: str,
              tz: tzinfo) -> tuple[list[str], list[dict[str, str]]]:
    """The x labels (local time) and the feed's time filter of each bucket."""
    labels = [localtime(start, label_format(interval)) for start, _ in starts_ends]
    links = [{"since": start.astimezone(tz).isoformat(), "until": end.astimezone(tz).isoformat()}
             for start, end in starts_ends]
    return labels, links


def chart(labels: list[str], series: list[dict[str, Any]], *, links: list[dict] | None = None,
          base: dict[str, Any] | None = None, percent: bool = False, zoom: bool = True,
          axes: list[str] | None = None,
          bounds: tuple[float, float] | None = None) -> dict[str, Any]:
    return {"labels": labels, "links": links or [{} for _ in labels],
            "feed": url_for("feed.index"), "base": base or {}, "percent": percent,
            "zoom": zoom, "axes": axes or [], "bounds": bounds, "series": series}


def series(name: str, values: list, kind: str = "line", *, stack: str | None = None,
           area: bool = False, feed_filter: dict[str, Any] | None = None,
           axis: int = 0, color: str | None = None) -> dict[str, Any]:
    return {"name": name, "type": kind, "values": values, "stack": stack, "area": area,
            "filter": feed_filter or {}, "axis": axis, "color": color}


def ratio(value: float | None, sparse: bool) -> float | None:
    """A ratio point, or None (a gap) for a bucket with too few reviews."""
    return None if value is None or sparse else round(value, 4)
