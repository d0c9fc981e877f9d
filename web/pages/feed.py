"""The live feed (``/``) and a single review's page (``/reviews/<id>``).

The feed first shows the newest published reviews matching the filters (sentiment, source,
entity, search words) — after a crawl backfills history, ingest order would put the oldest of
the backlog on top — and then keeps itself current: ``static/feed.js`` polls
``/api/feed?cursor=...`` from the ingest head taken before that first read, with the same
filters, and puts what arrived at the top. Each card shows the review's handling status
(``alerting.respond.review_handling``), which feed.js redraws as colleagues act; a handler gets a
bulk bar (``web.pages.review_actions``) acting on the ticked cards or the current filters.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, g, render_template, request, url_for

from alerting.respond.review_handling import OUTCOMES
from models.review import SENTIMENT_LABELS, utcnow
from nlp.corrections import LABELS, latest_correction
from nlp.topics import DEFAULT_TOPICS, INDUSTRY_TOPICS
from web import params, reads
from web.api.review_actions import OVERLAP
from web.display import display_zone, topic_name
from web.i18n import gettext
from web.pages.review_actions import BULK_LIMIT
from web.security import access
from web.security.accounts import list_users

bp = Blueprint("feed", __name__)
INDUSTRY_TOPIC_NAMES = tuple(dict.fromkeys(t for topics in INDUSTRY_TOPICS.values() for t in topics))

FILTERS = ("sentiment", "source", "entity", "topic")


@bp.get("/")
@access.permission("read")
def index():
    config = reads.current_runtime().config
    query = params.review_query(display_zone())
    head = reads.feed_reviews(query, 0).cursor  # taken first, so nothing ingested is missed
    page = reads.search_reviews(query, current_app.config["FEED_LIMIT"])
    selected = {name: params.listed(name) for name in FILTERS}
    poll_args = {name: list(values) for name, values in selected.items() if values}
    if request.args.get("q", "").strip():
        poll_args["q"] = request.args["q"].strip()
    poll_seconds = current_app.config["FEED_POLL_SECONDS"]
    entities = access.visible_entities(config.entities)
    can_act = access.allowed(g.user.role, "act")
    return render_template(
        "feed/feed.html", reviews=page.reviews, highlights=page.highlights, selected=selected,
        handlings=reads.review_handlings(page.reviews), can_act=can_act,
        assignees=_assignees() if can_act else [], outcomes=OUTCOMES, bulk_limit=BULK_LIMIT,
        bulk_query=request.query_string.decode("ascii", "replace"),
        filtered=bool(poll_args),
        sentiments=SENTIMENT_LABELS, sources=[s.name for s in config.sources],
        entities=entities, poll_seconds=poll_seconds,
        feed_config=_feed_config(head, poll_args, poll_seconds, entities, config.timezone))


def _feed_config(cursor: str | None, poll_args: dict, poll_seconds: int, entities: list,
                 timezone: str) -> dict:
    """What feed.js needs to fetch and draw new reviews exactly like the server does."""
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
                           outcomes=OUTCOMES)
