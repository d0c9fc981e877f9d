"""Incident pages: the list (``/incidents``, newest first, filter by status) and one
incident (``/incidents/<id>``) with its explanation, timeline, assignee and — for roles that
may act — the workflow forms (posted to ``web.pages.incident_actions``)."""
from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, url_for

from alerting.respond.workflow import current_assignee
from web import params, reads
from web.explanation import read_explanation
from web.i18n import current_language, gettext
from web.reads import INCIDENT_STATUSES
from web.security import access
from web.security.accounts import list_users
from web.timeline import event_facts

bp = Blueprint("incidents", __name__)
RELATED = 50  # reviews behind an incident shown on its page


@bp.get("/incidents")
@access.permission("read")
def index():
    status = params.choice("status", INCIDENT_STATUSES, None)
    incidents = reads.list_incidents(status)
    return render_template("incidents/incidents.html", incidents=incidents,
                           assignees={i.id: current_assignee(i) for i in incidents},
                           status=status, statuses=INCIDENT_STATUSES)


@bp.get("/incidents/<int:incident_id>")
@access.permission("read")
def detail(incident_id: int):
    incident = reads.get_incident(incident_id)
    explanation = read_explanation(incident.explanation, current_language())
    # The newest RELATED reviews behind it, newest first: those that join while the handler
    # watches appear on top (static/incident.js redraws the section in place).
    related = list(reversed(incident.review_ids or []))[:RELATED]
    examples = [r.id for r in explanation.reviews if r.id]
    stored = reads.find_reviews(list(dict.fromkeys(examples + related)))
    can_act = access.allowed(g.user.role, "act") and access.in_full_scope(incident.entities)
    assignees = [u for u in list_users(reads.current_runtime().state)
                 if not u.disabled and access.may_handle(u.role, u.entities, incident)
                 ] if can_act else []
    live_config = {  # what static/incident.js compares the incident's later states with
        "pollUrl": url_for("api_insights.incident", incident_id=incident.id),
        "intervalMs": int(current_app.config["FEED_POLL_SECONDS"] * 1000),
        "reviews": len(incident.review_ids or []), "events": len(incident.events),
        "status": incident.status,
        "labels": {"updated": gettext("incident.live_updated", reviews="{reviews}",
                                      events="{events}"),
                   "reload": gettext("incident.live_reload")}}
    return render_template("incidents/incident.html", incident=incident, explanation=explanation,
                           stored=stored, related=[i for i in related if i in stored],
                           assignee=current_assignee(incident),
                           assignees=assignees, can_act=can_act, live_config=live_config,
                           event_facts=event_facts)
