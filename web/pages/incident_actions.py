"""Acting on an incident: the page's forms (``POST /incidents/<id>/act``) and the API
(``POST /api/incidents/<id>/actions``, ``web.api.incident_actions``), both through ``perform``.

Actions: ``acknowledge``, ``assign`` (``assignee``), ``comment`` (``text``), ``resolve``
(``note``), ``false_alarm`` (``note``), ``reopen``. The actor is the signed-in user; the
incident must be in the user's scope (404 otherwise, as for reading it), the user's scope must
cover every brand of the incident (403 otherwise: resolving one tells every brand's channels),
and an assignee must be a handler or admin whose scope covers all of them. Resolving sends the
all-clear to the channels that were told about the incident before the response is sent.
"""
from __future__ import annotations

from typing import Mapping

from flask import Blueprint, abort, g, request, url_for

from alerting.respond import workflow
from alerting.respond.channels import build_channels
from web import reads
from web.exceptions import InvalidParameter
from web.i18n import gettext
from web.pages.steps import step_and_return
from web.security import access

ACTIONS = ("acknowledge", "assign", "comment", "resolve", "false_alarm", "reopen")

bp = Blueprint("incidents_act", __name__)


def perform(incident_id: int, action: str, values: Mapping[str, str], actor: str) -> list[str]:
    """Apply ``action``; returns the channels the all-clear reached (resolutions only).
    Raises ``InvalidParameter`` for an unknown action and ``workflow.WorkflowError`` when it
    does not apply."""
    incident = reads.get_incident(incident_id)  # 404 unless it exists and is in scope
    if not access.in_full_scope(incident.entities):
        abort(403, gettext("incident.outside_scope"))
    runtime = reads.current_runtime()
    state = runtime.state
    for field in ("text", "note"):
        if len(str(values.get(field, "")).strip()) > workflow.MAX_NOTE:
            raise InvalidParameter(field, f"at most {workflow.MAX_NOTE} characters")
    if action == "acknowledge":
        workflow.acknowledge(state, incident_id, actor)
    elif action == "assign":
        workflow.assign(state, incident_id, actor, str(values.get("assignee", "")).strip(),
                        may_handle=lambda user: access.may_handle(user.role, user.entities,
                                                                  incident))
    elif action == "comment":
        workflow.comment(state, incident_id, actor, str(values.get("text", "")))
    elif action in ("resolve", "false_alarm"):
        note = str(values.get("note", ""))
        workflow.resolve(state, incident_id, actor, note, false_alarm=action == "false_alarm")
        channels = build_channels(runtime.config.channels)
        try:
            return workflow.send_all_clear(
                state, incident_id, channels, runtime.config.web.base_url,
                runtime.config.timezone, "false_alarm" if action == "false_alarm" else "resolved",
                note)
        finally:
            for channel in channels.values():
                channel.close()
    elif action == "reopen":
        workflow.reopen(state, incident_id, actor)
    else:
        raise InvalidParameter("action", f"expected one of {', '.join(ACTIONS)}")
    return []


@bp.post("/incidents/<int:incident_id>/act")
@access.permission("act")
def act(incident_id: int):
    action = request.form.get("action", "")
    return step_and_return(
        lambda: perform(incident_id, action, request.form, g.user.username),
        workflow.WorkflowError, "incident.action_failed", f"incident.done.{action}",
        url_for("incidents.detail", incident_id=incident_id))
