"""Following the signed links of a notification (``/a/<token>``, see
``alerting.respond.action_links``).

- an "open" link redirects to the incident page (which asks to sign in first when needed);
- an "acknowledge" link shows a confirmation page whose button POSTs back to the same URL, and
  the POST acknowledges the incident: as the signed-in user when there is one (the incident
  must be in their scope), who then goes on to the incident page with a message saying so; else
  as ``link`` (the signature proves the person got the notification), who sees a page saying
  the incident is acknowledged (or was already, by whom and when) with a sign-in link to it.

A tampered or foreign token answers 400, an expired one 410, both with a page saying so.
"""
from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from sqlalchemy import select

from alerting.respond import workflow
from alerting.respond.action_links import Action, ActionLinkError, read_token, stale
from models.instance_key import instance_key
from models.state import Incident, IncidentEvent
from web import reads
from web.exceptions import NotFound
from web.i18n import gettext
from web.security import access

bp = Blueprint("actions", __name__)


class _Link(NamedTuple):
    action: Action
    incident: Incident


def _action(token: str) -> _Link | tuple:
    """The link's action and incident, or the error page for a bad or expired token."""
    runtime = reads.current_runtime()
    try:
        action = read_token(instance_key(runtime.home), token,
                            current_app.config.get("ACTION_LINK_MAX_AGE", 24 * 3600))
    except ActionLinkError as exc:
        status = 410 if exc.reason == "expired" else 400
        return render_template("error.html", status=status,
                               message=gettext(f"action_link.{exc.reason}")), status
    with runtime.state.session() as session:
        incident = session.get(Incident, action.incident_id)
        ended = incident is not None and stale(action, incident.events)
    if incident is None or (g.user is not None and not access.can_see_incident(incident)):
        raise NotFound("incident", action.incident_id)
    if ended and action.action == "acknowledge":
        return render_template("error.html", status=410,
                               message=gettext("action_link.stale")), 410
    return _Link(action, incident)


@bp.get("/a/<token>")
@access.permission(access.PUBLIC)
def confirm(token: str):
    link = _action(token)
    if not isinstance(link, _Link):
        return link
    if link.action.action == "open":
        return redirect(url_for("incidents.detail", incident_id=link.action.incident_id))
    return render_template("actions/acknowledge.html", incident=link.incident, token=token)


@bp.post("/a/<token>")
@access.permission(access.PUBLIC)
def acknowledge(token: str):
    link = _action(token)
    if not isinstance(link, _Link):
        return link
    action = link.action
    if action.action != "acknowledge":
        return redirect(url_for("incidents.detail", incident_id=action.incident_id))
    actor = g.user.username if g.user is not None else "link"
    state = reads.current_runtime().state
    try:
        incident = workflow.acknowledge(state, action.incident_id, actor)
        done = True
    except workflow.WorkflowError:
        incident, done = link.incident, False  # already acknowledged or resolved
    if g.user is None:
        # Signed out: say what happened here, since the incident page is behind the sign-in.
        acknowledged = _acknowledgement(state, action.incident_id)
        return render_template("actions/acknowledged.html", incident=incident, done=done,
                               by=acknowledged[0], at=acknowledged[1],
                               next=url_for("incidents.detail", incident_id=incident.id))
    flash(gettext("incident.done.acknowledge") if done else
          gettext("action_link.already", status=gettext(f"incident.status.{incident.status}")),
          "ok")
    return redirect(url_for("incidents.detail", incident_id=action.incident_id))


def _acknowledgement(state, incident_id: int) -> tuple[str | None, object]:
    """Who acknowledged the incident and when (its first ``acknowledged`` event), if anyone."""
    with state.session() as session:
        event = session.scalars(select(IncidentEvent).where(
            IncidentEvent.incident_id == incident_id, IncidentEvent.kind == "acknowledged")
            .order_by(IncidentEvent.id)).first()
    return (event.actor, event.at) if event is not None else (None, None)
