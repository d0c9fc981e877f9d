"""Security headers on every response.

The content security policy allows only the app's own origin: scripts and styles come from
``web/static`` (no inline script, no inline style, no CDN), nothing may frame the app, and
forms post only back to it. Review text is untrusted HTML-ish input; autoescape keeps it
inert and this policy is the second line of defence.

Everything but the static files is ``Cache-Control: no-store``: pages carry CSRF tokens, a new
API token is shown once, and reviews and incidents are scoped to the reader, so no browser or
proxy cache may keep a copy for the next person.
"""
from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Links from reviews lead to third-party sites, which need not learn our URLs.
    "Referrer-Policy": "same-origin",
}


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_add_headers)
