"""The Koubei web app: live feed, trends, incidents and the JSON API, behind a sign-in
(``web.security.auth``) with roles and brand scopes (``web.security.access``).

``create_app`` is a flaskr-style factory. The runtime (config, review store, state DB) is
shared by every request and kept at ``app.extensions["koubei"]``; nothing is opened or closed
per request because the store is thread-safe. The app is served by waitress (``koubei run``),
so it relies on nothing from Flask's development server.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask

from models.runtime import Runtime
from web import display, errors, i18n
from web.api import corrections as api_corrections
from web.api import health, openapi
from web.api import incident_actions as api_actions
from web.api import insights as api_insights
from web.api import response as api_response
from web.api import review_actions as api_review_actions
from web.api import reviews as api
from web.pages import action_links as action_link_views
from web.pages import (
    audit,
    corrections,
    entities,
    exports,
    feed,
    incident_actions,
    incidents,
    queue,
    reports,
    response,
    review_actions,
    rules,
    silences,
    trends,
)
from web.runtime import open_runtime
from web.security import access, auth, csrf
from web.security import headers as security

__all__ = ["create_app"]

DEFAULTS = {
    "FEED_LIMIT": 50,         # reviews on the feed page when it loads
    "FEED_POLL_SECONDS": 5,   # how often the page asks /api/feed for new reviews
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),  # a sign-in lasts a working day
    "SESSION_COOKIE_SAMESITE": "Lax",
}


def create_app(runtime: Runtime | None = None,
               test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app on ``runtime`` (opened with ``open_runtime()`` when None; the caller
    that passes a runtime keeps closing it). ``test_config`` overrides Flask settings."""
    app = Flask(__name__)
    # Flask's own route for static files, declared like every view: the sign-in page needs them
    access.permission(access.PUBLIC)(app.view_functions["static"])
    app.config.from_mapping(DEFAULTS)
    app.extensions["koubei"] = runtime if runtime is not None else open_runtime()
    # Served over HTTPS (the public URL says so): the session cookie is never sent in clear.
    public_url = app.extensions["koubei"].config.web.public_url or ""
    app.config["SESSION_COOKIE_SECURE"] = public_url.lower().startswith("https://")
    if test_config:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False  # readable Chinese in API responses
    app.json.sort_keys = False
    # i18n first: the sign-in gate (auth) may already render a page in the reader's language
    for extension in (i18n, display, security, errors, csrf, auth):
        extension.init_app(app)
    for module in (feed, trends, incidents, incident_actions, action_link_views, exports,
                   response, silences, corrections, reports, rules, audit, entities,
                   review_actions, queue, api, api_insights, api_actions, api_response,
                   api_corrections, api_review_actions, health, openapi):
        app.register_blueprint(module.bp)
    return app
