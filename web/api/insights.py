"""Aggregates and incidents over the API: ``/api/trends``, ``/api/incidents``,
``/api/incidents/<id>``. Shapes are in ``static/openapi.json``."""
from __future__ import annotations

from flask import Blueprint

from web import params, reads
from web.api.payloads import incident_payload
from web.pages.trends import series_from_request
from web.reads import INCIDENT_STATUSES
from web.security import access

bp = Blueprint("api_insights", __name__, url_prefix="/api")


@bp.get("/trends")
@access.permission("read")
def trends():
    """Counts per bucket grouped by ``group_by``, plus per-bucket sentiment counts, negative
    share and net sentiment ((positive − negative) / total; null for an empty bucket)."""
    return series_from_request(group_by=None).to_dict()


@bp.get("/incidents")
@access.permission("read")
def incidents():
    status = params.choice("status", INCIDENT_STATUSES, None)
    limit = params.bounded_int("limit", 100, 1, 500)
    found = reads.list_incidents(status, limit)
    return {"incidents": [incident_payload(i) for i in found], "count": len(found)}


@bp.get("/incidents/<int:incident_id>")
@access.permission("read")
def incident(incident_id: int):
    return {"incident": incident_payload(reads.get_incident(incident_id), events=True)}
