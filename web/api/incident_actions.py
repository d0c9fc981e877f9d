"""``POST /api/incidents/<id>/actions`` with a JSON body such as ``{"action": "assign",
"assignee": "li"}``: the incident page's actions (``web.pages.incident_actions.perform``) over
the API. Answers the incident with its timeline and the channels the all-clear reached; 409
when the action does not apply to the incident as it stands."""
from __future__ import annotations

from flask import Blueprint, g, request

from alerting.respond import workflow
from web import reads
from web.api.payloads import incident_payload
from web.exceptions import InvalidParameter
from web.pages.incident_actions import perform
from web.security import access

bp = Blueprint("api_actions", __name__, url_prefix="/api")


@bp.post("/incidents/<int:incident_id>/actions")
@access.permission("act")
def act(incident_id: int):
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("action"), str):
        raise InvalidParameter("action", "send a JSON object such as {\"action\": \"acknowledge\"}")
    for field in ("assignee", "text", "note"):
        if field in body and not isinstance(body[field], str):
            raise InvalidParameter(field, "expected a string")
    try:
        reached = perform(incident_id, body["action"], body, g.user.username)
    except workflow.WorkflowError as exc:
        return {"error": {"code": "conflict", "message": str(exc)}}, 409
    return {"incident": incident_payload(reads.get_incident(incident_id), events=True),
            "all_clear_sent_to": reached}
