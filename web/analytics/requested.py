"""The analytics views as the request asks for them: shared by the pages (``web.pages``) and
the JSON API (``web.api.analytics``), so both read the same parameters the same way.

Each view's aggregated reads go to the store together (``reads.prefetched``: one multi-search
on Elasticsearch).

Parameters: the period (``web.periods``: ``range`` or ``since``/``until``), ``interval``
(hour|day; default hour up to 3 days, else day), ``entity`` (repeatable), ``source``
(repeatable filter) and per view: ``by`` (channels: source|platform).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from models.store import ReviewQuery
from web import params, reads
from web.analytics.channels import BY, ChannelView, channels
from web.analytics.choice import chosen_entities
from web.analytics.compare import Comparison, compare
from web.analytics.cx import CxView, cx
from web.analytics.hotwords import HotWords, hot_words
from web.display import display_zone
from web.periods import Period, period_from_request
from web.trend_series import INTERVALS, MAX_BUCKETS, bucket_count, edges_between

DEFAULT_RANGE = "30d"
MAX_COMPARED = 6


def buckets(period: Period) -> tuple[list[datetime], str]:
    """The series' bucket edges and interval for ``period`` (``interval`` parameter; hours
    over a period too long for ``MAX_BUCKETS`` of them are counted by day instead)."""
    default = "hour" if period.length <= timedelta(days=3) else "day"
    interval = params.choice("interval", tuple(INTERVALS), default)
    if bucket_count(period.start, period.end, interval) > MAX_BUCKETS:
        interval = "day"
    return edges_between(period.start, period.end, interval, display_zone()), interval


def requested_period() -> Period:
    return period_from_request(display_zone(), DEFAULT_RANGE)


def requested_entities(default: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The ``entity`` parameter, or ``default`` when the request names none."""
    return params.listed("entity") or default


def comparison_from_request(default: tuple[str, ...] = ()) -> Comparison:
    entities = chosen_entities(requested_entities(default), 2, MAX_COMPARED)
    period = requested_period()
    edges, interval = buckets(period)
    query = ReviewQuery(sources=params.listed("source"))
    return reads.prefetched(lambda: compare(entities, period, query, edges, interval,
                                            display_zone()))


def channels_from_request(default: tuple[str, ...] = ()) -> ChannelView:
    (entity,) = chosen_entities(requested_entities(default), 1, 1)
    by = params.choice("by", BY, "source")
    period = requested_period()
    return reads.prefetched(lambda: channels(entity, by, period))


def cx_from_request(default: tuple[str, ...] = ()) -> CxView:
    entities = chosen_entities(requested_entities(default), 1, MAX_COMPARED)
    period = requested_period()
    edges, interval = buckets(period)
    stages = reads.current_runtime().config.touchpoints
    return reads.prefetched(lambda: cx(entities, list(stages), period, edges, interval,
                                       display_zone()))


def hot_words_from_request(default: tuple[str, ...] = ()) -> HotWords:
    entities = chosen_entities(requested_entities(default), 1, MAX_COMPARED)
    query = ReviewQuery(entities=tuple(e.id for e in entities),
                        sources=params.listed("source"),
                        sentiments=params.listed("sentiment", ("negative", "neutral",
                                                               "positive")))
    period = requested_period()
    return reads.prefetched(lambda: hot_words(query, period))
