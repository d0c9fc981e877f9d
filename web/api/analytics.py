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

bp = Blueprint("api_analytics", __name__, url_prefix="/api")


@bp.get("/compare")
def compare():
    return comparison_from_request().to_dict()


@bp.get("/channels")
def channels():
    return channels_from_request().to_dict()


@bp.get("/cx")
def cx():
    return cx_from_request().to_dict()


@bp.get("/hotwords")
def hotwords():
    return hot_words_from_request().to_dict()
