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
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from models.runtime import Runtime
from web import display, errors, i18n
from web.api import analytics as api_analytics
from web.api import corrections as api_corrections
from web.api import health, openapi
from web.api import incident_actions as api_actions
from web.api import insights as api_insights
from web.api import response as api_response
from web.api import review_actions as api_review_actions
from web.api import reviews as api
from web.json_provider import CleanJSONProvider
from web.pages import action_links as action_link_views
from web.pages import (
    analytics,
    audit,
    corrections,
    entities,
    exports,
    feed,
    incident_actions,
    incidents,
    queue,
    reanalyze,
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


class RowId(IntegerConverter):
    """``<int:...>`` as the database can hold it: 0 to 2**63 - 1; a larger id is no route
    (404), never an overflow in the query (500)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2 ** 63 - 1)
        super().__init__(url_map, *args, **kwargs)

DEFAULTS = {
    "FEED_LIMIT": 50,         # reviews on the feed page when it loads
    "FEED_POLL_SECONDS": 5,   # how often the page asks /api/feed for new reviews
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),  # a sign-in lasts a working day
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Nothing the app takes is large: forms and JSON actions are a few KB. A bigger body is
    # refused (413) before it is read; ``koubei run`` gives waitress the same limit.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 64 * 1024,  # one form field's value (413 beyond)
    "MAX_FORM_PARTS": 200,              # fields in one form (413 beyond)
}


def create_app(runtime: Runtime | None = None,
               test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app on ``runtime`` (opened with ``open_runtime()`` when None; the caller
    that passes a runtime keeps closing it). ``test_config`` overrides Flask settings."""
    app = Flask(__name__)
    app.url_map.converters["int"] = RowId  # before any route is added
    app.json = CleanJSONProvider(app)  # no lone surrogate in or out; readable Chinese
    # Flask's own route for static files, declared like every view: the sign-in page needs them
    access.permission(access.PUBLIC)(app.view_functions["static"])
    app.config.from_mapping(DEFAULTS)
    app.extensions["koubei"] = runtime if runtime is not None else open_runtime()
    # Served over HTTPS (the public URL says so): the session cookie is never sent in clear.
    public_url = app.extensions["koubei"].config.web.public_url or ""
    app.config["SESSION_COOKIE_SECURE"] = public_url.lower().startswith("https://")
    if test_config:
        app.config.from_mapping(test_config)
    # i18n first: the sign-in gate (auth) may already render a page in the reader's language
    for extension in (i18n, display, security, errors, csrf, auth):
        extension.init_app(app)
    for module in (feed, trends, analytics, incidents, incident_actions, action_link_views,
                   exports, response, silences, corrections, reports, rules, audit, entities,
                   reanalyze, review_actions, queue, api, api_insights, api_analytics, api_actions,
                   api_response, api_corrections, api_review_actions, health, openapi):
        app.register_blueprint(module.bp)
    hops = app.extensions["koubei"].config.web.trusted_proxies
    if hops:  # the client's address, scheme and host as the proxies in front saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app
