"""Handling reviews over the API (the pages' ``web.pages.review_actions``):

- ``POST /api/reviews/<id>/handling`` with ``{"action": "assign", "assignee": "li"}``,
  ``{"action": "handle", "outcome": "replied", "note": "..."}`` or ``{"action": "reopen"}``:
  answers the review's handling; 409 when the step does not apply to it as it stands.
- ``POST /api/handling/bulk?<feed filters>`` with ``{"action": "handle", "outcome": ...,
  "review_ids": [...]}`` (ids optional: without them, the newest reviews matching the filters):
  answers the ids it applied to and, for the others, why not.
- ``GET /api/queue``: the signed-in user's queue, reviews and incidents assigned to them.
- ``GET /api/handling?since=ISO``: the reviews whose handling changed since then (default: the
  last ``OVERLAP``; the live
  feed polls it to redraw the status of the cards it shows), and ``until`` to ask from next
  (a little before now: ``OVERLAP``).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, g, request

from alerting.respond.review_handling import ReviewHandlingError
from models.review import utcnow
from web import params, reads
from web.api.payloads import handling_payload, incident_payload, review_payload
from web.display import display_zone
from web.exceptions import InvalidParameter
from web.pages.review_actions import perform, perform_bulk
from web.security import access

bp = Blueprint("api_review_actions", __name__, url_prefix="/api")
# ``until`` lies this far back, so a step whose transaction was still open when one poll ran
# is seen by the next one (a row seen twice is only drawn twice).
OVERLAP = timedelta(seconds=10)


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("action"), str):
        raise InvalidParameter("action", "send a JSON object such as "
                                         "{\"action\": \"handle\", \"outcome\": \"replied\"}")
    return body


@bp.post("/reviews/<review_id>/handling")
@access.permission("act")
def act(review_id: str):
    body = _body()
    try:
        perform(review_id, body["action"], body, g.user.username)
    except ReviewHandlingError as exc:
        return {"error": {"code": "conflict", "message": str(exc)}}, 409
    review = reads.get_review(review_id)
    return {"review_id": review_id,
            "handling": handling_payload(reads.review_handlings([review]).get(review_id))}


@bp.post("/handling/bulk")
@access.permission("act")
def bulk():
    body = _body()
    ids = body.get("review_ids", [])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise InvalidParameter("review_ids", "expected a list of review ids")
    result = perform_bulk(body["action"], body, ids, g.user.username)
    return {"done": result.done, "skipped": result.skipped}


@bp.get("/queue")
@access.permission("read")
def queue():
    user = g.user.username
    return {"reviews": [{"review": review_payload(review), "handling": handling_payload(row, events=False)}
                        for review, row in reads.review_queue(user)],
            "incidents": [incident_payload(i) for i in reads.incident_queue(user)]}


@bp.get("/handling")
@access.permission("read")
def changed():
    until = utcnow() - OVERLAP
    since = params.moment("since", display_zone()) or until  # none given: the last moments
    return {"handling": {row.review_id: handling_payload(row, events=False)
                         for row in reads.handling_changed_since(since)},
            "until": until.isoformat()}
