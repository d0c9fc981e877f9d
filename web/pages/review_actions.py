"""Handling single reviews (``alerting.respond.review_handling``): the review page's forms
(``POST /reviews/<id>/act``) and the feed's bulk bar (``POST /reviews/bulk?<the feed's
filters>``), both through ``perform`` / ``perform_bulk``, which the API shares.

Actions: ``assign`` (``assignee``), ``handle`` (``outcome``, ``note``), ``reopen`` (one review
only). The actor is the signed-in user; every review must be in the user's scope (404 for a
single one, skipped in bulk), and an assignee must be a handler or admin whose scope covers the
review. A bulk step applies to the reviews ticked on the page (``review_id``, repeatable) or,
when none is ticked, to the newest ``BULK_LIMIT`` reviews matching the feed's current filters
(``web.params.review_query``: whatever filters the feed has, bulk follows them).
"""
from __future__ import annotations

from typing import Mapping
from urllib.parse import urlencode

from flask import Blueprint, flash, g, redirect, request, url_for

from alerting.respond import review_handling
from alerting.respond.review_handling import OUTCOMES, BulkResult, ReviewHandlingError
from alerting.respond.workflow import MAX_NOTE
from models.review import Review
from web import params, reads
from web.display import display_zone
from web.exceptions import InvalidParameter
from web.i18n import gettext
from web.pages.steps import step_and_return
from web.security import access

ACTIONS = ("assign", "handle", "reopen")
BULK_ACTIONS = ("assign", "handle")
BULK_LIMIT = 200

bp = Blueprint("review_actions", __name__)


def _may_handle(user, review: Review) -> bool:
    return access.may_handle_entities(user.role, user.entities, review.entities)


def _check(action: str, allowed: tuple[str, ...], values: Mapping) -> None:
    """An unknown action or outcome, or a field of the wrong type, is a bad request (400);
    a missing outcome or assignee is left to the workflow, which refuses the step."""
    if action not in allowed:
        raise InvalidParameter("action", f"expected one of {', '.join(allowed)}")
    if "outcome" in values and values["outcome"] not in OUTCOMES:
        raise InvalidParameter("outcome", f"expected one of {', '.join(OUTCOMES)}")
    for name in ("assignee", "note"):
        if name in values and not isinstance(values[name], str):
            raise InvalidParameter(name, "expected a string")
    if len(str(values.get("note", "")).strip()) > MAX_NOTE:
        raise InvalidParameter("note", f"at most {MAX_NOTE} characters")


def perform(review_id: str, action: str, values: Mapping, actor: str) -> None:
    """Apply ``action`` to one review. Raises ``NotFound`` unless it exists and is in scope,
    ``InvalidParameter`` for an unknown action, ``ReviewHandlingError`` when it does not
    apply."""
    _check(action, ACTIONS, values)
    review = reads.get_review(review_id)
    state = reads.current_runtime().state
    if action == "assign":
        review_handling.assign(state, review, actor, str(values.get("assignee", "")),
                               may_handle=_may_handle)
    elif action == "handle":
        review_handling.handle(state, review, actor, str(values.get("outcome", "")),
                               str(values.get("note", "")))
    else:
        review_handling.reopen(state, review.id, actor)


def bulk_targets(review_ids: list[str]) -> list[Review]:
    """The reviews a bulk step applies to: the visible ones among ``review_ids``, or with none
    given the newest ``BULK_LIMIT`` matching the request's feed filters."""
    query = params.review_query(display_zone())  # checked either way: a bad filter is a 400
    if review_ids:
        found = reads.find_reviews(list(dict.fromkeys(review_ids))[:BULK_LIMIT])
        return list(found.values())
    return reads.search_reviews(query, BULK_LIMIT).reviews


def perform_bulk(action: str, values: Mapping, review_ids: list[str], actor: str) -> BulkResult:
    """Apply ``assign`` or ``handle`` to ``bulk_targets(review_ids)``."""
    _check(action, BULK_ACTIONS, values)
    reviews, state = bulk_targets(review_ids), reads.current_runtime().state
    if action == "assign":
        return review_handling.assign_many(state, reviews, actor,
                                           str(values.get("assignee", "")),
                                           may_handle=_may_handle)
    return review_handling.handle_many(state, reviews, actor, str(values.get("outcome", "")),
                                       str(values.get("note", "")))


@bp.post("/reviews/<review_id>/act")
@access.permission("act")
def act(review_id: str):
    action = request.form.get("action", "")
    return step_and_return(
        lambda: perform(review_id, action, request.form, g.user.username),
        ReviewHandlingError, "handling.failed", f"handling.done.{action}",
        url_for("feed.review", review_id=review_id))


@bp.post("/reviews/bulk")
@access.permission("act")
def bulk():
    action = request.form.get("action", "")
    result = perform_bulk(action, request.form, request.form.getlist("review_id"),
                          g.user.username)
    if result.done:
        flash(gettext(f"handling.bulk_done.{action}", count=len(result.done)), "ok")
    if result.skipped:
        first = next(iter(result.skipped.values()))
        flash(gettext("handling.bulk_skipped", count=len(result.skipped), reason=first), "error")
    if not result.done and not result.skipped:
        flash(gettext("handling.bulk_nothing"), "error")
    query = urlencode([(k, v) for k, v in request.args.items(multi=True)])
    return redirect(url_for("feed.index") + (f"?{query}" if query else ""))
