"""The trends page (``/trends``): review volume per hour or day by sentiment, with the
negative share and net sentiment of each bucket, drawn as server-side SVG (and, with
JavaScript, as an interactive ECharts chart from the same figures), the period's totals
against the period before, and the topic table.

``series_from_request`` reads the trend parameters shared with ``/api/trends``: the period
(``web.periods``: ``range`` 24h|7d|30d|90d ending now or at ``until``, or any
``since``/``until``), ``interval`` (hour|day; default hour for 24h and ranges up to 3 days,
else day), ``group_by``, and the ``entity``/``source``/``topic`` filters.
"""
from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, g, render_template

from models.store import ReviewQuery
from web import chart, params, periods, reads
from web.analytics.figures import Figures, change
from web.analytics.requested import buckets
from web.display import display_zone
from web.i18n import gettext
from web.pages.chart_config import chart as chart_json
from web.pages.chart_config import label_format, ratio, series, time_axis
from web.security import access
from web.topic_table import topic_rows
from web.trend_series import (
    DEFAULT_INTERVAL,
    GROUPS,
    INTERVALS,
    MIN_RATIO_VOLUME,
    NONE_KEY,
    SENTIMENT_ORDER,
    TrendSeries,
    build_series,
    series_over,
)

bp = Blueprint("trends", __name__)

BAR_KEYS = (*SENTIMENT_ORDER, NONE_KEY)
COLORS = {"negative": "#c0392b", "neutral": "#7f8c8d", "positive": "#27864a"}  # koubei.css


def _filters() -> ReviewQuery:
    return ReviewQuery(entities=params.listed("entity"), sources=params.listed("source"),
                       topics=params.listed("topic"))


def series_from_request(group_by: str | None = "sentiment") -> TrendSeries:
    """Build the series the request asks for; ``group_by=None`` reads it from ``group_by``."""
    tz = display_zone()
    period = periods.period_from_request(tz, "24h")
    if period.preset is None:
        edges, interval = buckets(period)  # as the analytics views count any period
    else:
        interval = params.choice("interval", tuple(INTERVALS), DEFAULT_INTERVAL[period.preset])
    group = group_by or params.choice("group_by", GROUPS, "sentiment")
    query = _filters()
    if period.preset is not None:
        return reads.prefetched(lambda: build_series(query, period.preset, interval, group,
                                                     period.end, tz, reads.review_trend))
    return reads.prefetched(lambda: series_over(
        replace(query, start=period.start, end=period.end), edges, "custom", interval, group,
        tz, reads.review_trend))


def _window(series: TrendSeries) -> periods.Period:
    """The period the figures cover: the buckets drawn, or exactly the range asked for."""
    if series.range == "custom":
        return periods.period_from_request(series.tz)
    return periods.Period(series.buckets[0].start, series.buckets[-1].end, series.range)


def _totals(window: periods.Period) -> tuple[Figures, Figures, dict]:
    """The period's sentiment counts beside the period before, and the change."""
    def figures(p: periods.Period) -> Figures:
        return Figures(sentiments=reads.review_counts(
            replace(_filters(), start=p.start, end=p.end), "sentiment"))
    now, before = figures(window), figures(window.previous())
    return now, before, change(now, before)


def _trend_chart(trend: TrendSeries) -> dict:
    labels, links = time_axis([(b.start, b.end) for b in trend.buckets], trend.interval,
                              trend.tz)
    bars = [series_json(key, [b.sentiments.get(key, 0) for b in trend.buckets])
            for key in SENTIMENT_ORDER]
    lines = [
        series(gettext("trends.negative_share"),
               [ratio(b.negative_share, b.sparse) for b in trend.buckets], axis=1,
               feed_filter={"sentiment": "negative"}),
        series(gettext("trends.net_sentiment"),
               [ratio(b.net_sentiment, b.sparse) for b in trend.buckets], axis=1)]
    base = {k: list(v) for k, v in (("entity", params.listed("entity")),
                                    ("source", params.listed("source")),
                                    ("topic", params.listed("topic"))) if v}
    return chart_json(labels, bars + lines, links=links, base=base,
                      axes=[gettext("trends.volume"), gettext("trends.ratios")])


def series_json(key: str, values: list[int]) -> dict:
    return series(gettext(f"sentiment.{key}"), values, "bar", stack="volume",
                  feed_filter={"sentiment": key}, color=COLORS[key])


@bp.get("/trends")
@access.permission("read")
def index():
    def figures():  # every count of the page, asked of the store together
        series_ = series_from_request("sentiment")
        window = _window(series_)
        return (series_, window, _totals(window),
                topic_rows(_filters(), window.start, window.end))
    series_, window, (now, before, changed), topics = reads.prefetched(figures)
    bars, count_ticks = chart.stacked_bars(series_, BAR_KEYS)
    negative = chart.ratio_points([b.negative_share for b in series_.buckets], -1.0, 1.0)
    net = chart.ratio_points([b.net_sentiment for b in series_.buckets], -1.0, 1.0)
    sparse = {i for i, b in enumerate(series_.buckets) if b.sparse}
    tick = "%H:00" if series_.interval == "hour" else "%m-%d"
    return render_template(
        "trends/trends.html", series=series_, bars=bars, count_ticks=count_ticks,
        time_ticks=chart.time_ticks(series_), negative=negative, net=net, sparse=sparse,
        negative_lines=chart.ratio_lines([p for p in negative if p.bucket not in sparse]),
        net_lines=chart.ratio_lines([p for p in net if p.bucket not in sparse]),
        ratio_ticks=[(chart.ratio_y(v, -1.0, 1.0), v) for v in (-1.0, -0.5, 0.0, 0.5, 1.0)],
        bar_keys=BAR_KEYS, min_volume=MIN_RATIO_VOLUME,
        label_format=label_format(series_.interval), tick_format=tick, chart=chart,
        presets=tuple(periods.PRESETS), period=window, now_figures=now, before_figures=before,
        change=changed, trend_chart=_trend_chart(series_),
        entities=access.visible_entities(reads.current_runtime().config.entities),
        selected_entities=params.listed("entity"),
        can_export=access.allowed(g.user.role, "export"),
        topics=topics)
