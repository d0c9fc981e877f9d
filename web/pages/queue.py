"""My queue (``/queue``): what the signed-in handler has to do — the reviews assigned to them
and not yet handled, and the open or acknowledged incidents assigned to them, in their scope."""
from __future__ import annotations

from flask import Blueprint, g, render_template

from alerting.respond.review_handling import OUTCOMES
from web import reads
from web.security import access

bp = Blueprint("queue", __name__)


@bp.get("/queue")
@access.permission("read")
def page():
    user = g.user.username
    return render_template("queue/queue.html", reviews=reads.review_queue(user),
                           incidents=reads.incident_queue(user), outcomes=OUTCOMES,
                           can_act=access.allowed(g.user.role, "act"))
