"""The trends page (``/trends``): review volume per hour or day by sentiment, with the
negative share and net sentiment of each bucket, drawn as server-side SVG.

``series_from_request`` reads the trend parameters shared with ``/api/trends``: ``range``
(24h|7d|30d), ``interval`` (hour|day; default hour for 24h, else day), ``group_by``,
``entity``/``source`` filters, and ``until`` (end of the window, default now).
"""
from __future__ import annotations

from flask import Blueprint, g, render_template

from models.review import utcnow
from models.store import ReviewQuery
from web import chart, params, reads
from web.display import display_zone
from web.security import access
from web.topic_table import topic_rows
from web.trend_series import (
    DEFAULT_INTERVAL,
    GROUPS,
    INTERVALS,
    NONE_KEY,
    RANGES,
    SENTIMENT_ORDER,
    TrendSeries,
    build_series,
)

bp = Blueprint("trends", __name__)

BAR_KEYS = (*SENTIMENT_ORDER, NONE_KEY)


def series_from_request(group_by: str | None = "sentiment") -> TrendSeries:
    """Build the series the request asks for; ``group_by=None`` reads it from ``group_by``."""
    tz = display_zone()
    range_name = params.choice("range", tuple(RANGES), "24h")
    interval = params.choice("interval", tuple(INTERVALS), DEFAULT_INTERVAL[range_name])
    group = group_by or params.choice("group_by", GROUPS, "sentiment")
    query = ReviewQuery(entities=params.listed("entity"), sources=params.listed("source"))
    now = params.moment("until", tz) or utcnow()
    return build_series(query, range_name, interval, group, now, tz, reads.review_trend)


@bp.get("/trends")
@access.permission("read")
def index():
    series = series_from_request("sentiment")
    bars, count_ticks = chart.stacked_bars(series, BAR_KEYS)
    negative = chart.ratio_points([b.negative_share for b in series.buckets], -1.0, 1.0)
    net = chart.ratio_points([b.net_sentiment for b in series.buckets], -1.0, 1.0)
    label = "%m-%d %H:00" if series.interval == "hour" else "%Y-%m-%d"
    tick = "%H:00" if series.interval == "hour" else "%m-%d"
    return render_template(
        "trends/trends.html", series=series, bars=bars, count_ticks=count_ticks,
        time_ticks=chart.time_ticks(series), negative=negative, net=net,
        negative_lines=chart.ratio_lines(negative), net_lines=chart.ratio_lines(net),
        ratio_ticks=[(chart.ratio_y(v, -1.0, 1.0), v) for v in (-1.0, -0.5, 0.0, 0.5, 1.0)],
        bar_keys=BAR_KEYS, label_format=label, tick_format=tick, chart=chart,
        ranges=tuple(RANGES),
        entities=access.visible_entities(reads.current_runtime().config.entities),
        selected_entities=params.listed("entity"),
        can_export=access.allowed(g.user.role, "export"),
        topics=topic_rows(ReviewQuery(entities=params.listed("entity"),
                                      sources=params.listed("source")),
                          series.buckets[0].start, series.buckets[-1].end))
