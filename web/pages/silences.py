"""``/silences``: the active silences, and (for roles that act on incidents) forms to add
one — rule, entity, how long, reason — and to end one early.

Brand scope: a reader limited to some brands sees the silences of entities in scope and the
ones covering every entity (unless their rule is limited to brands outside scope); such a
reader may add a silence only for an entity in scope and a rule not limited to other brands,
and end only a silence of an entity in scope. "Every entity" belongs to unrestricted users."""
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


def _rule_in_scope(name: str | None) -> bool:
    """A rule named in a silence: None (every rule) or one that is configured and not limited
    to brands outside the reader's scope."""
    if name is None:
        return True
    rule = next((r for r in reads.current_runtime().config.rules if r.name == name), None)
    return rule is not None and (not rule.entities or access.in_scope(rule.entities))


def _visible(silence: Silence) -> bool:
    if silence.entity is not None:
        return access.in_scope([silence.entity])
    return access.scope() is None or _rule_in_scope(silence.rule)


def _may_change(entity: str | None, rule: str | None) -> bool:
    """Whether the reader may add or end a silence of ``entity`` and ``rule``."""
    if entity is None:
        return access.scope() is None and _rule_in_scope(rule)
    return access.in_scope([entity]) and _rule_in_scope(rule)


@bp.get("/silences")
@access.permission("read")
def index():
    runtime = reads.current_runtime()
    config = runtime.config
    silences = [s for s in active_silences(runtime.state) if _visible(s)]
    return render_template("silences/silences.html", silences=silences,
                           rules=[r.name for r in config.rules if _rule_in_scope(r.name)],
                           every_entity=access.scope() is None,
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
    if not _may_change(entity, form.get("rule") or None):
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
        known = silence is not None
        entity, rule = (silence.entity, silence.rule) if known else (None, None)
    if known and not _may_change(entity, rule):  # the same rule as adding one
        flash(gettext("silences.bad_entity"), "error")
        return redirect(url_for("silences.index"))
    try:
        end_silence(state, silence_id)
    except SilenceError:
        pass
    return redirect(url_for("silences.index"))
