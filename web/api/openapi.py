"""``/api/openapi.json``: the OpenAPI 3.1 description of the API.

``static/openapi.json`` holds what only a person can write (summaries, shapes of answers);
what the code decides is filled in from the code so the two cannot drift
(``openapi_spec``): the exact grammar of ``since``/``until`` (``web.params.MOMENT_PATTERN``)
and of each listing's ``cursor`` (``models.store.cursors.CURSOR_PATTERNS``; an empty value
is "not given", as a page's empty form field is), and the answers
every operation of a kind gives — 401 without a valid token or session (all but the public
operations), 404 for an id path parameter, 400 for query parameters or a body, 413 for a body
over ``MAX_CONTENT_LENGTH``. A test checks that every ``/api`` route is described, and nothing
else; a schemathesis run against a live instance checks the rest.
"""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, jsonify

from models.store.cursors import CURSOR_PATTERNS
from web.params import MOMENT_OR_EMPTY
from web.security import access

bp = Blueprint("openapi", __name__, url_prefix="/api")

SPEC_PATH = Path(__file__).parent.parent / "static" / "openapi.json"
CURSOR_KIND = {"/api/reviews": "search", "/api/feed": "feed"}
STANDARD = {"401": "Unauthorized", "404": "NotFound", "400": "InvalidParameter",
            "413": "TooLarge"}


@lru_cache(maxsize=1)
def openapi_spec() -> dict:
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    components = spec["components"]
    components["responses"].setdefault("TooLarge", {
        "description": "The request body is over the size limit",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    for parameter in components["parameters"].values():  # whatever the component's key
        if parameter.get("in") == "query" and parameter.get("name") in ("since", "until"):
            parameter["schema"] = {"type": "string", "pattern": MOMENT_OR_EMPTY}
    for parameter in components["parameters"].values():
        if parameter.get("in") == "query":
            parameter["schema"] = _empty_is_absent(parameter["schema"])
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            _complete(spec, path, operation)
    return spec


def _complete(spec: dict, path: str, operation: dict) -> None:
    parameters = operation.setdefault("parameters", [])
    for i, parameter in enumerate(parameters):
        ref = parameter.get("$ref", "")
        if ref.endswith("/cursor") and path in CURSOR_KIND:
            parameter = parameters[i] = copy.deepcopy(spec["components"]["parameters"]["cursor"])
            grammar = CURSOR_PATTERNS[CURSOR_KIND[path]][1:-1]
            parameter["schema"] = {"type": "string", "pattern": f"^(?:{grammar})?$"}
        elif parameter.get("name") in ("since", "until") and parameter.get("in") == "query":
            parameter["schema"] = {"type": "string", "pattern": MOMENT_OR_EMPTY}
    for parameter in parameters:
        if parameter.get("in") == "query" and "schema" in parameter:
            parameter["schema"] = _empty_is_absent(parameter["schema"])
    wanted = []
    if operation.get("security") != []:
        wanted.append("401")
    if any(p.get("in") == "path" for p in parameters):
        wanted.append("404")
    if any(p.get("in") == "query" or "$ref" in p for p in parameters) \
            or "requestBody" in operation:
        wanted.append("400")
    if "requestBody" in operation:
        wanted.append("413")
    for status in wanted:
        operation["responses"].setdefault(
            status, {"$ref": f"#/components/responses/{STANDARD[status]}"})


def _empty_is_absent(schema: dict) -> dict:
    """A query parameter's schema admitting "" (an empty form field: the parameter is not
    given), as ``web.params`` reads it."""
    schema = copy.deepcopy(schema)
    items = schema.get("items") if schema.get("type") == "array" else None
    target = items if items is not None else schema
    if "enum" in target and "" not in target["enum"]:
        target["enum"] = [*target["enum"], ""]
    elif target.get("type") == "integer":
        return ({**schema, "items": {"anyOf": [target, {"const": ""}]}} if items is not None
                else {"anyOf": [target, {"type": "string", "const": ""}]})
    return schema


@bp.get("/openapi.json")
@access.permission(access.PUBLIC)
def spec():
    return jsonify(openapi_spec())
