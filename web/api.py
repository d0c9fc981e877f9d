"""The review API: ``/api/reviews`` (search), ``/api/reviews/<id>``, ``/api/feed`` (live feed).

Filters everywhere: ``source``, ``entity``, ``sentiment``, ``topic`` (repeatable or
comma-separated), ``q`` (search words, segmented like the page's search box), ``since`` and
``until`` (ISO-8601; naive times and bare dates are in the config timezone). Bad parameters
answer 400 ``invalid_parameter`` naming the parameter (see ``web.errors``).
"""
from __future__ import annotations

from flask import Blueprint, request

from web import params, reads
from web.display import display_zone
from web.payloads import review_payload

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_LIMIT = 200


def _with_tokens() -> bool:
    return "tokens" in params.listed("fields", ("tokens",))


def _cursor() -> str | None:
    return request.args.get("cursor", "").strip() or None


@bp.get("/reviews")
def reviews():
    """Newest published first; ``next_cursor`` continues the walk and is null at the end."""
    query = params.review_query(display_zone())
    limit = params.bounded_int("limit", 50, 1, MAX_LIMIT)
    tokens = _with_tokens()
    page = reads.search_reviews(query, limit, _cursor())
    return {"reviews": [review_payload(r, tokens) for r in page.reviews],
            "count": len(page.reviews), "next_cursor": page.cursor}


@bp.get("/reviews/<review_id>")
def review(review_id: str):
    return {"review": review_payload(reads.get_review(review_id), _with_tokens())}


@bp.get("/feed")
def feed():
    """Without a cursor: the newest ingested reviews, newest first, and the head cursor.
    With one: what was ingested or changed since, oldest first, and the cursor to poll with
    next (unchanged when nothing is new)."""
    cursor = _cursor()
    query = params.review_query(display_zone())
    limit = params.bounded_int("limit", 50, 1, MAX_LIMIT)
    tokens = _with_tokens()
    page = reads.feed_reviews(query, limit, cursor)
    return {"reviews": [review_payload(r, tokens) for r in page.reviews],
            "count": len(page.reviews), "cursor": page.cursor,
            "order": "oldest_first" if cursor else "newest_first"}
