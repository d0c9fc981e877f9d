"""Error responses: JSON under ``/api`` (and ``/healthz``), a page everywhere else.

API errors have one shape: ``{"error": {"code": ..., "message": ..., "parameter": ...}}`` where
``parameter`` is present for ``invalid_parameter``. Codes: ``invalid_parameter`` (400),
``not_found`` (404), ``method_not_allowed`` (405), ``internal_error`` (500), and the HTTP
status phrase in snake case for any other HTTP error.
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from web.exceptions import FontMissing, InvalidParameter, NotFound
from web.i18n import gettext

log = logging.getLogger(__name__)


def wants_json() -> bool:
    path = request.path
    return path == "/api" or path.startswith("/api/") or path == "/healthz"


def api_error(status: int, code: str, message: str, parameter: str | None = None):
    error = {"code": code, "message": message}
    if parameter is not None:
        error["parameter"] = parameter
    return jsonify({"error": error}), status


def page_error(status: int, message: str):
    return render_template("error.html", status=status, message=message), status


def _invalid_parameter(exc: InvalidParameter):
    if wants_json():
        return api_error(400, "invalid_parameter", exc.message, exc.parameter)
    return page_error(400, gettext("error.invalid_parameter", parameter=exc.parameter,
                                   message=exc.message))


def _not_found(exc: NotFound):
    if wants_json():
        return api_error(404, "not_found", str(exc))
    return page_error(404, gettext(f"error.not_found.{exc.kind}"))


def _font_missing(exc: FontMissing):
    log.error("PDF briefing: %s", exc)
    return page_error(503, gettext("error.font_missing", message=str(exc)))


def _http_error(exc: HTTPException):
    status = exc.code or 500
    # A 405 says which methods the URL takes (RFC 9110); werkzeug puts them in its headers.
    allow = {name: value for name, value in exc.get_headers() if name.lower() == "allow"}
    if wants_json():
        code = (exc.name or "error").lower().replace(" ", "_")
        body, status = api_error(status, code, exc.description or exc.name)
        return body, status, allow
    key = f"error.http.{status}"
    message = gettext(key)
    body, status = page_error(status, message if message != key else f"{status} {exc.name}")
    return body, status, allow


def _unexpected(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    if wants_json():
        return api_error(500, "internal_error", "the server failed; see its log")
    return page_error(500, gettext("error.http.500"))


def init_app(app: Flask) -> None:
    app.register_error_handler(InvalidParameter, _invalid_parameter)
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(FontMissing, _font_missing)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _unexpected)
    app.register_error_handler(Exception, _unexpected)
