"""``/silences``: the active silences, and (for roles that act on incidents) forms to add
one — rule, entity, how long, reason — and to end one early."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from alerting.respond.silences import SilenceError, active_silences, add_silence, end_silence
from models.config import parse_duration
from models.review import utcnow
from models.state import Silence
from web import reads
from web.i18n import gettext
from web.security import access

bp = Blueprint("silences", __name__)
DURATIONS = ("30m", "1h", "2h", "4h", "12h", "1d", "3d", "7d")


@bp.get("/silences")
@access.permission("read")
def index():
    runtime = reads.current_runtime()
    config = runtime.config
    return render_template("silences/silences.html", silences=active_silences(runtime.state),
                           rules=[r.name for r in config.rules],
                           entities=access.visible_entities(config.entities),
                           durations=DURATIONS, can_act=access.allowed(g.user.role, "act"))


@bp.post("/silences")
@access.permission("act")
def add():
    form = request.form
    duration = form.get("duration", "")
    if duration not in DURATIONS:
        flash(gettext("silences.bad_duration"), "error")
        return redirect(url_for("silences.index"))
    entity = form.get("entity") or None
    if entity is not None and not access.in_scope([entity]):
        flash(gettext("silences.bad_entity"), "error")
        return redirect(url_for("silences.index"))
    try:
        add_silence(reads.current_runtime().state, utcnow() + parse_duration(duration),
                    form.get("reason", ""), g.user.username, form.get("rule") or None, entity)
    except SilenceError as exc:
        flash(gettext("incident.action_failed", reason=str(exc)), "error")
    else:
        flash(gettext("silences.added"), "ok")
    return redirect(url_for("silences.index"))


@bp.post("/silences/<int:silence_id>/end")
@access.permission("act")
def end(silence_id: int):
    state = reads.current_runtime().state
    with state.session() as session:
        silence = session.get(Silence, silence_id)
        entity = silence.entity if silence is not None else None
    if entity is not None and not access.in_scope([entity]):  # the same rule as adding one
        flash(gettext("silences.bad_entity"), "error")
        return redirect(url_for("silences.index"))
    try:
        end_silence(state, silence_id)
    except SilenceError:
        pass
    return redirect(url_for("silences.index"))
