"""Brand analytics over the API: ``/api/compare``, ``/api/channels``, ``/api/cx`` and
``/api/hotwords`` (parameters in ``web.analytics.requested``, shapes in
``static/openapi.json``). Every figure is counted in the reader's brand scope; naming an
entity outside it answers 400 ``invalid_parameter`` exactly as an unknown one does."""
from __future__ import annotations

from flask import Blueprint

from web.analytics.requested import (
    channels_from_request,
    comparison_from_request,
    cx_from_request,
    hot_words_from_request,
)
from web.security import access

bp = Blueprint("api_analytics", __name__, url_prefix="/api")


@bp.get("/compare")
@access.permission("read")
def compare():
    return comparison_from_request().to_dict()


@bp.get("/channels")
@access.permission("read")
def channels():
    return channels_from_request().to_dict()


@bp.get("/cx")
@access.permission("read")
def cx():
    return cx_from_request().to_dict()


@bp.get("/hotwords")
@access.permission("read")
def hotwords():
    return hot_words_from_request().to_dict()
