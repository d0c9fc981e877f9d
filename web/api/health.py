"""``/healthz``: 200 ``{"status": "ok"}`` when both the review store and the state database
answer; 503 ``{"status": "unavailable", "problems": {...}}`` naming the part that failed
otherwise (for load balancers and ``koubei`` operators). It is public, so an anonymous caller
learns only that: the review count and the failure's reason go to signed-in callers (and the
reason to the log)."""
from __future__ import annotations

import logging

from flask import Blueprint, g
from sqlalchemy import text

from web.reads import current_runtime
from web.security import access

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
@access.permission(access.PUBLIC)
def healthz():
    runtime, problems, reviews = current_runtime(), {}, None
    try:
        reviews = runtime.store.stats().reviews
    except Exception as exc:  # any failure means "not healthy"; say which part and why
        log.warning("health check: review store failed: %s", exc)
        problems["store"] = f"{type(exc).__name__}: {exc}"
    try:
        with runtime.state.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health check: state database failed: %s", exc)
        problems["state"] = f"{type(exc).__name__}: {exc}"
    known = g.get("user") is not None
    if problems:
        shown = problems if known else {part: "unavailable" for part in problems}
        return {"status": "unavailable", "problems": shown}, 503
    return {"status": "ok", "reviews": reviews} if known else {"status": "ok"}
