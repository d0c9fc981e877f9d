"""Following the signed links of a notification (``/a/<token>``, see
``alerting.respond.action_links``).

- an "open" link redirects to the incident page (which asks to sign in first when needed);
- an "acknowledge" link shows a confirmation page whose button POSTs back to the same URL, and
  the POST acknowledges the incident: as the signed-in user when there is one (the incident
  must be in their scope), else as ``link`` (the signature proves the person got the
  notification), then goes on to the incident page.

A tampered or foreign token answers 400, an expired one 410, both with a page saying so.
"""
from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint, current_app, g, redirect, render_template, url_for

from alerting.respond import workflow
from alerting.respond.action_links import Action, ActionLinkError, read_token
from models.instance_key import instance_key
from models.state import Incident
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
    if incident is None or (g.user is not None and not access.can_see_incident(incident)):
        raise NotFound("incident", action.incident_id)
    return _Link(action, incident)


@bp.get("/a/<token>")
def confirm(token: str):
    link = _action(token)
    if not isinstance(link, _Link):
        return link
    if link.action.action == "open":
        return redirect(url_for("incidents.detail", incident_id=link.action.incident_id))
    return render_template("actions/acknowledge.html", incident=link.incident, token=token)


@bp.post("/a/<token>")
def acknowledge(token: str):
    link = _action(token)
    if not isinstance(link, _Link):
        return link
    action = link.action
    if action.action != "acknowledge":
        return redirect(url_for("incidents.detail", incident_id=action.incident_id))
    actor = g.user.username if g.user is not None else "link"
    try:
        workflow.acknowledge(reads.current_runtime().state, action.incident_id, actor)
    except workflow.WorkflowError:
        pass  # already acknowledged or resolved: the incident page shows by whom
    return redirect(url_for("incidents.detail", incident_id=action.incident_id))
