"""The brand-team analytics pages: ``/compare`` (2–6 entities side by side, share of voice),
``/channels`` (one entity per source or platform, inconsistencies flagged), ``/cx`` (CSAT,
promoter index, journey touchpoints) and ``/hotwords`` (rising terms). Each is a GET form
(period presets or any dates, entities) over tables that work without JavaScript;
``static/charts.js`` draws the ECharts charts from the JSON each page embeds, and a click on
a point opens the feed filtered to it. Without ``entity`` a page starts on the first visible
entities (as if the form had named them).
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template, url_for

from web import params, reads
from web.analytics import requested
from web.analytics.channels import ALPHA, BY, MIN_VOLUME
from web.analytics.hotwords import ALPHA as WORD_ALPHA
from web.analytics.hotwords import MIN_COUNT
from web.display import display_zone
from web.i18n import gettext as _label
from web.pages.chart_config import chart, label_format, ratio, series, time_axis
from web.periods import PRESETS
from web.security import access

bp = Blueprint("analytics", __name__)


def _visible() -> list:
    return access.visible_entities(reads.current_runtime().config.entities)


def feed_url(start: datetime, end: datetime, **filters) -> str:
    """The live feed filtered to a figure's reviews (``since``/``until`` as exact times)."""
    tz = display_zone()
    return url_for("feed.index", since=start.astimezone(tz).isoformat(),
                   until=end.astimezone(tz).isoformat(),
                   **{k: v for k, v in filters.items() if v})


def _render(template: str, minimum: int, **context):
    return render_template(template, presets=tuple(PRESETS), entities=_visible(),
                           minimum=minimum, feed_url=feed_url, **context)


def _with_default(count: int, build):
    """``(view, chosen entity ids)``: ``build`` on the entities the request names, or on the
    first ``count`` visible ones when it names none (None when there are not that many)."""
    default = tuple(e.id for e in _visible()[:count])
    if not params.listed("entity") and len(default) < count:
        return None, ()
    chosen = requested.requested_entities(default)
    return build(default), chosen


def _compare_chart(view) -> dict:
    buckets = [(b.start, b.end) for b in view.series.buckets]
    labels, links = time_axis(buckets, view.series.interval, display_zone())
    points = view.share_series()
    lines = [series(row.entity.name, [None if p["share"][row.entity.id] is None else
                                      round(p["share"][row.entity.id] * 100, 2) for p in points],
                    stack="share", area=True, feed_filter={"entity": row.entity.id})
             for row in view.rows]
    return chart(labels, lines, links=links, percent=True)


@bp.get("/compare")
@access.permission("read")
def compare():
    view, chosen = _with_default(2, requested.comparison_from_request)
    if view is None:
        return _render("analytics/compare.html", 2, view=None, chosen=chosen)
    return _render("analytics/compare.html", 2, view=view, chosen=chosen,
                   chart=_compare_chart(view),
                   share_rows=list(zip(view.series.buckets, view.share_series())),
                   label_format=label_format(view.series.interval))


def _channels_chart(view) -> dict:
    names = [c.name for c in view.channels]
    links = [{view.by: name} if view.by == "source" else {} for name in names]
    bars = series(_label("trends.negative_share"),
                  [None if c.now.negative_share is None else round(c.now.negative_share * 100, 2)
                   for c in view.channels], "bar", feed_filter={"sentiment": "negative"})
    overall = view.overall.negative_share
    line = series(_label("channels.overall"), [None if overall is None else
                                              round(overall * 100, 2)] * len(names))
    return chart(names, [bars, line], links=links, percent=True, zoom=False,
                 base={"entity": view.entity.id,
                       "since": view.period.start.astimezone(display_zone()).isoformat(),
                       "until": view.period.end.astimezone(display_zone()).isoformat()})


@bp.get("/channels")
@access.permission("read")
def channels():
    view, chosen = _with_default(1, requested.channels_from_request)
    extra = {"chart": _channels_chart(view)} if view is not None else {}
    return _render("analytics/channels.html", 1, view=view, chosen=chosen, by_choices=BY,
                   alpha=ALPHA,
                   min_volume=MIN_VOLUME, **extra)


def _cx_charts(view) -> dict:
    tz = display_zone()
    buckets = [(b.start, b.end) for b in view.ratings.buckets]
    labels, links = time_axis(buckets, view.ratings.interval, tz)
    points = view.csat_series()
    ids = [e.id for e in view.entities]
    csat = chart(labels, [
        series(_label("cx.csat"), [ratio(p["csat"], p["sparse"]) and
                                   round(p["csat"] * 100, 2) for p in points]),
        series(_label("cx.promoter_index"), [None if p["sparse"] or p["promoter_index"] is None
                                             else round(p["promoter_index"], 1)
                                             for p in points], axis=1)],
        links=links, base={"entity": ids}, percent=True,
        axes=[_label("cx.csat"), _label("cx.promoter_index")])
    stages = [s for s in view.stages if s.series is not None]
    journey = chart(labels, [
        series(s.stage.stage, [ratio(b.net_sentiment, b.sparse) for b in s.series.buckets],
               feed_filter={"topic": list(s.stage.topics)}) for s in stages],
        links=links, base={"entity": ids}, axes=[_label("trends.net_sentiment")], bounds=(-1, 1))
    return {"csat_chart": csat, "journey_chart": journey}


@bp.get("/cx")
@access.permission("read")
def cx():
    view, chosen = _with_default(1, requested.cx_from_request)
    extra = _cx_charts(view) if view is not None else {}
    return _render("analytics/cx.html", 1, view=view, chosen=chosen, **extra)


@bp.get("/hotwords")
@access.permission("read")
def hotwords():
    view, chosen = _with_default(1, requested.hot_words_from_request)
    return _render("analytics/hotwords.html", 1, view=view, chosen=chosen, min_count=MIN_COUNT,
                   alpha=WORD_ALPHA)
