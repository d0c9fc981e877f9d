"""``/api/openapi.json``: the hand-written OpenAPI 3.1 description in ``static/openapi.json``.
A test checks that every ``/api`` route of the app is described there, and nothing else."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, jsonify

from web.security import access

bp = Blueprint("openapi", __name__, url_prefix="/api")

SPEC_PATH = Path(__file__).parent.parent / "static" / "openapi.json"


@lru_cache(maxsize=1)
def openapi_spec() -> dict:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


@bp.get("/openapi.json")
@access.permission(access.PUBLIC)
def spec():
    return jsonify(openapi_spec())
