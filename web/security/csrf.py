"""CSRF protection for every state-changing request made with the session cookie.

A random token lives in the (signed) session; pages put it in each form as ``csrf_token``
(``{{ csrf_field() }}``) and scripts send it as ``X-CSRF-Token``. A POST/PUT/PATCH/DELETE whose
token is missing or different answers 400 before any view runs. Requests authenticated with
an API token (``Authorization: Bearer``) carry no cookie a third-party page could ride on, so
they are exempt. Written here rather than pulled in with Flask-WTF: the whole check is the
dozen lines below and the app has no other use for WTForms.
"""
from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, g, request, session
from markupsafe import Markup, escape

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """The session's token (created on first use)."""
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    return session[FIELD]


def csrf_field() -> Markup:
    return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(csrf_token())}">')


def rotate() -> None:
    """A new token, on login, so one planted before login is worthless after."""
    session[FIELD] = secrets.token_urlsafe(32)


def check() -> None:
    if request.method not in UNSAFE_METHODS or g.get("via_token"):
        return
    expected = session.get(FIELD)
    sent = request.form.get(FIELD) or request.headers.get(HEADER) or ""
    if not expected or not hmac.compare_digest(str(expected), sent):
        abort(400, description="missing or wrong CSRF token; reload the page and try again")


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(csrf_token=csrf_token, csrf_field=csrf_field)
