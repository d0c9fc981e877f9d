"""The live feed (``/``) and a single review's page (``/reviews/<id>``).

The feed shows the newest published reviews matching the filters (sentiment, source, entity,
topic, keyword, search words, a date range) with their count, a page at a time (``cursor``
continues after the page; ``page`` only numbers it; ``sort=reach`` orders the page's reviews
by reach), every active filter as a removable chip, and the filtered list's export (CSV,
XLSX) for the roles that export. The first page of an open-ended range keeps itself current:
``static/feed.js`` polls ``/api/feed?cursor=...`` from the ingest head taken before that
first read, with the same filters, and puts what arrived at the top. Each card shows the
review's handling status (``alerting.respond.review_handling``), which feed.js redraws as
colleagues act; a handler gets a bulk bar (``web.pages.review_actions``) acting on the ticked
cards or the current filters.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from flask import Blueprint, current_app, g, render_template, request, url_for

from alerting.respond.review_handling import OUTCOMES
from models.review import SENTIMENT_LABELS, utcnow
from models.store import ReviewQuery
from nlp.corrections import LABELS, latest_correction
from nlp.topics import DEFAULT_TOPICS, INDUSTRY_TOPICS
from web import params, reads
from web.api.review_actions import OVERLAP
from web.complaint import complaint_facts
from web.display import display_zone, localtime, topic_name
from web.i18n import gettext
from web.pages.review_actions import BULK_LIMIT
from web.security import access
from web.security.accounts import list_users

bp = Blueprint("feed", __name__)
INDUSTRY_TOPIC_NAMES = tuple(dict.fromkeys(t for topics in INDUSTRY_TOPICS.values() for t in topics))

FILTERS = ("sentiment", "source", "entity", "topic", "keyword")
KEPT = (*FILTERS, "q", "since", "until", "min_reach")  # the arguments a page link carries on
SOURCES_TTL = 60.0  # seconds the list of stored sources is reused (a count over every review)
_sources_lock = threading.Lock()


def _present_sources() -> list[str]:
    """Every source with stored reviews in the reader's scope (imported ones included),
    counted at most once a minute per scope and app."""
    cache = current_app.extensions.setdefault("koubei.feed_sources", {})
    key, now = access.scope(), time.monotonic()
    with _sources_lock:
        cached = cache.get(key)
    if cached is not None and now - cached[0] < SOURCES_TTL:
        return cached[1]
    found = sorted(k for k in reads.review_counts(ReviewQuery(), "source") if k)
    with _sources_lock:
        cache[key] = (now, found)
    return found


def _topics(config) -> list[str]:
    names = dict.fromkeys(DEFAULT_TOPICS)
    for entity in access.visible_entities(config.entities):
        names.update(dict.fromkeys(entity.topics))
    for stage in config.touchpoints:
        names.update(dict.fromkeys(stage.topics))
    return list(names)


def _kept_args(**changes) -> dict:
    args = {name: request.args.getlist(name) for name in KEPT if request.args.getlist(name)}
    args.update({k: v for k, v in changes.items() if v is not None})
    return args


def _chips(config) -> list[tuple[str, str, str]]:
    """(filter label, value shown, URL without it) for every active filter."""
    names = {e.id: e.name for e in config.entities}
    kept, chips = _kept_args(), []
    for name in KEPT:
        for value in request.args.getlist(name):
            if not value.strip():
                continue
            shown = (gettext(f"sentiment.{value}") if name == "sentiment" and
                     value in SENTIMENT_LABELS else names.get(value, value)
                     if name == "entity" else value)
            rest = {k: [x for x in v if not (k == name and x == value)]
                    for k, v in kept.items()}
            chips.append((gettext(f"filter.{name}"), shown,
                          url_for("feed.index", **{k: v for k, v in rest.items() if v})))
    return chips


@bp.get("/")
@access.permission("read")
def index():
    config = reads.current_runtime().config
    query = params.review_query(display_zone())
    cursor = request.args.get("cursor", "").strip() or None
    page_number = params.bounded_int("page", 1, 1, 10_000_000)
    limit = current_app.config["FEED_LIMIT"]
    live = cursor is None and query.end is None
    head = reads.feed_reviews(query, 0).cursor if live else None  # first: nothing is missed
    order = params.sort_order()
    page = reads.search_reviews(query, limit, cursor)
    total = reads.review_counts(query)[None]
    selected = {name: params.listed(name) for name in FILTERS}
    poll_args = {name: list(values) for name, values in selected.items() if values}
    for name in ("q", "since", "min_reach"):
        if request.args.get(name, "").strip():
            poll_args[name] = request.args[name].strip()
    poll_seconds = current_app.config["FEED_POLL_SECONDS"]
    entities = access.visible_entities(config.entities)
    first = (page_number - 1) * limit
    sources = sorted(set(_present_sources()) | {s.name for s in config.sources}
                     | set(selected["source"]))
    can_act = access.allowed(g.user.role, "act")
    return render_template(
        "feed/feed.html", reviews=params.by_reach(page.reviews, order), order=order,
        orders=params.SORT_ORDERS, highlights=page.highlights, selected=selected,
        handlings=reads.review_handlings(page.reviews), can_act=can_act,
        assignees=_assignees() if can_act else [], outcomes=OUTCOMES, bulk_limit=BULK_LIMIT,
        bulk_query=request.query_string.decode("ascii", "replace"),
        filtered=bool(_kept_args()), chips=_chips(config), total=total,
        shown_from=first + 1 if page.reviews else 0, shown_to=first + len(page.reviews),
        next_url=url_for("feed.index", **_kept_args(cursor=page.cursor, page=page_number + 1))
        if page.cursor else None,
        first_url=url_for("feed.index", **_kept_args()) if cursor else None,
        export_args=_kept_args(), can_export=access.allowed(g.user.role, "export"),
        since=_date_value("since"), until=_date_value("until"), live=live,
        min_reach="" if query.min_reach is None else query.min_reach,
        sentiments=SENTIMENT_LABELS, sources=sources, topics=_topics(config),
        entities=entities, poll_seconds=poll_seconds,
        feed_config=_feed_config(head, poll_args, poll_seconds, entities, config.timezone))


def _date_value(name: str) -> str:
    """What the date picker shows for ``name``: the local date of the chosen time."""
    moment = params.moment(name, display_zone())
    if moment is None:
        return ""
    if name == "until" and len(request.args.get(name, "").strip()) != 10:
        moment -= timedelta(microseconds=1)  # an exact end: the day it falls in is the last
    return localtime(moment, "%Y-%m-%d")


def _feed_config(cursor: str | None, poll_args: dict, poll_seconds: int, entities: list,
                 timezone: str) -> dict:
    """What feed.js needs to fetch and draw new reviews exactly like the server does; no
    cursor (no polling) on a later page or a range that has ended."""
    return {
        "pollUrl": url_for("api.feed", **poll_args),
        "cursor": cursor,
        "intervalMs": int(poll_seconds * 1000),
        "timezone": timezone,
        "reviewBase": url_for("feed.index") + "reviews/",
        "handlingUrl": url_for("api_review_actions.changed"),
        "handlingSince": (utcnow() - OVERLAP).isoformat(),
        "entities": {e.id: e.name for e in entities},
        "topics": {t: topic_name(t) for t in (*DEFAULT_TOPICS, *INDUSTRY_TOPIC_NAMES)},
        "labels": {
            **{label: gettext(f"sentiment.{label}") for label in (*SENTIMENT_LABELS, "unknown")},
            "noRating": gettext("review.no_rating"),
            "anonymous": gettext("review.anonymous"),
            "rating": gettext("review.rating", rating="{rating}"),
            "reach": gettext("review.reach", reach="{reach}"),
            "updated": gettext("feed.updated", time="{time}", count="{count}"),
            "failed": gettext("feed.failed"),
            "restart": gettext("feed.restart"),
            "pick": gettext("handling.pick"),
            "assigned": gettext("handling.status.assigned", assignee="{assignee}"),
            "handled": gettext("handling.status.handled", outcome="{outcome}", by="{by}"),
            **{f"outcome.{o}": gettext(f"handling.outcome.{o}") for o in OUTCOMES},
        },
    }


def _assignees() -> list:
    """Who a review can be assigned to: active handlers and admins (the workflow still checks
    each one's scope against the review)."""
    return [u for u in list_users(reads.current_runtime().state)
            if not u.disabled and access.allowed(u.role, "act")]


@bp.get("/reviews/<review_id>")
@access.permission("read")
def review(review_id: str):
    review = reads.get_review(review_id)
    correction = latest_correction(reads.current_runtime().home, review.id)
    corrected_at = datetime.fromisoformat(correction.corrected_at) if correction else None
    can_act = access.allowed(g.user.role, "act")
    return render_template("feed/review.html", review=review, correction=correction,
                           corrected_at=corrected_at, labels=LABELS,
                           handling=reads.review_handlings([review]).get(review.id),
                           can_act=can_act, assignees=_assignees() if can_act else [],
                           outcomes=OUTCOMES, complaint=complaint_facts(review.extra))
