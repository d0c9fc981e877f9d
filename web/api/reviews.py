"""The review API: ``/api/reviews`` (search), ``/api/reviews/<id>``, ``/api/feed`` (live feed).

Filters everywhere: ``source``, ``entity``, ``sentiment``, ``topic`` (repeatable or
comma-separated), ``q`` (search words, segmented like the page's search box), ``since`` and
``until`` (ISO-8601; naive times and bare dates are in the config timezone), ``min_reach``
(reach at least this, filtered by the store). Bad parameters
answer 400 ``invalid_parameter`` naming the parameter (see ``web.errors``).
"""
from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, request

from models.store import ReviewPage, ReviewQuery
from web import params, reads
from web.api.payloads import handling_payload, review_payload
from web.display import display_zone
from web.security import access

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_LIMIT = 200


def _with_tokens() -> bool:
    return "tokens" in params.listed("fields", ("tokens",))


def _cursor() -> str | None:
    return request.args.get("cursor", "") or None  # empty: not given; " " is no cursor


def _listing() -> tuple[ReviewQuery, int, bool]:
    """The filters, ``limit`` and ``fields`` shared by every review listing."""
    return (params.review_query(display_zone()), params.bounded_int("limit", 50, 1, MAX_LIMIT),
            _with_tokens())


def _reviews(page: ReviewPage, tokens: bool) -> dict:
    """The page's reviews, each with its ``handling`` (null when nobody has touched it); with
    search words, each found one carries its ``highlight``."""
    reviews = [review_payload(r, tokens) for r in page.reviews]
    handlings = reads.review_handlings(page.reviews)
    for review in reviews:
        review["handling"] = handling_payload(handlings.get(review["id"]), events=False)
        if review["id"] in page.highlights:
            review["highlight"] = page.highlights[review["id"]]
    return {"reviews": reviews, "count": len(page.reviews)}


@bp.get("/reviews")
@access.permission("read")
def reviews():
    """Newest published first; ``next_cursor`` continues the walk and is null at the end.
    ``sort=reach`` orders each page's reviews by reach (the page is still the next ``limit``
    newest)."""
    query, limit, tokens = _listing()
    order = params.sort_order()
    page = reads.search_reviews(query, limit, _cursor())
    page = replace(page, reviews=params.by_reach(page.reviews, order))
    return {**_reviews(page, tokens), "next_cursor": page.cursor}


@bp.get("/reviews/<review_id>")
@access.permission("read")
def review(review_id: str):
    review = reads.get_review(review_id)
    return {"review": review_payload(review, _with_tokens()),
            "handling": handling_payload(reads.review_handlings([review]).get(review.id))}


@bp.get("/feed")
@access.permission("read")
def feed():
    """Without a cursor: the newest ingested reviews, newest first, and the head cursor.
    With one: what was ingested or changed since, oldest first, and the cursor to poll with
    next (unchanged when nothing is new)."""
    cursor = _cursor()
    query, limit, tokens = _listing()
    page = reads.feed_reviews(query, limit, cursor)
    return {**_reviews(page, tokens), "cursor": page.cursor,
            "order": "oldest_first" if cursor else "newest_first"}
