"""Incident pages: the list (``/incidents``, newest first, filter by status) and one
incident (``/incidents/<id>``) with its explanation and timeline. Read-only for now; the
people/workflow issue adds acknowledge, assign, comment and resolve."""
from __future__ import annotations

from flask import Blueprint, render_template

from web import params, reads
from web.explanation import read_explanation
from web.i18n import current_language
from web.reads import INCIDENT_STATUSES

bp = Blueprint("incidents", __name__)


@bp.get("/incidents")
def index():
    status = params.choice("status", INCIDENT_STATUSES, None)
    return render_template("incidents.html", incidents=reads.list_incidents(status),
                           status=status, statuses=INCIDENT_STATUSES)


@bp.get("/incidents/<int:incident_id>")
def detail(incident_id: int):
    incident = reads.get_incident(incident_id)
    explanation = read_explanation(incident.explanation, current_language())
    linked = [r.id for r in explanation.reviews if r.id] + list(incident.review_ids or [])
    stored = reads.find_reviews(list(dict.fromkeys(linked))[:50])
    return render_template("incident.html", incident=incident, explanation=explanation,
                           stored=stored)
