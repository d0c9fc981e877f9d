"""``/healthz``: 200 ``{"status": "ok", "reviews": N}`` when both the review store and the
state database answer; 503 ``{"status": "unavailable", "problems": {...}}`` naming the part
that failed otherwise (for load balancers and ``koubei`` operators)."""
from __future__ import annotations

import logging

from flask import Blueprint
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
    if problems:
        return {"status": "unavailable", "problems": problems}, 503
    return {"status": "ok", "reviews": reviews}
