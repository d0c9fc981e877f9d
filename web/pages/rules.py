"""The rule editor (``/admin/rules``): admins edit any rule, analysts the rules of their brands
(every entity of the rule in their scope, before and after the edit).

- ``GET /admin/rules/<name>``: the rule's type and parameters as a form, read from the config
  file itself (so it shows what the next detection tick will use);
- ``POST .../preview``: the edited rule and the current one replayed over the last ``weeks``
  weeks of stored reviews (``alerting.detect.backtest``; nothing is sent), shown as incidents
  on a timeline, counts per week and the reviews behind each; the form keeps the edits;
- ``POST .../save``: the file rewritten (``models.config_file``: comments and order kept,
  validated with the errors of ``koubei config check``, a backup under the data directory),
  the change in the audit log, and the app's config swapped in place. The scheduler's
  detection job reads the file on each tick, so the next tick uses the new rule; no restart.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from alerting.detect.backtest import backtest
from alerting.detect.rules import build_rule
from alerting.detect.tick import entity_names, rule_context, rule_reads
from models import audit
from models.config_file import BACKUPS, CannotSave, ConfigError, ConfigFile
from models.review import utcnow
from web import reads
from web.display import display_zone
from web.i18n import gettext
from web.rule_form import display, form_fields, from_form, rule_models
from web.runtime import PLUGINS
from web.security import access

bp = Blueprint("rules", __name__)
# A preview replays at most this many detection ticks per version: one week of a 3-minute
# window tick by tick; a longer period is sampled more coarsely, and the page says so.
MAX_TICKS = 4000
WEEKS = (1, 2, 4, 8)


def _file() -> ConfigFile:
    return ConfigFile(reads.current_runtime().config_path, PLUGINS)


def _may_edit(entities) -> bool:
    """Admins: any rule. Analysts: a rule naming entities, all in their scope."""
    if g.user.role == "admin":
        return True
    return bool(entities) and all(access.in_scope([e]) for e in entities)


def _editable(file: ConfigFile, name: str) -> dict:
    try:
        rule = file.rule(name)
    except KeyError:
        abort(404)
    if not _may_edit(rule.get("entities") or []):
        abort(404)  # as for a record out of scope: its existence is not revealed
    return rule


@bp.get("/admin/rules")
@access.permission("configure")
def index():
    file = _file()
    rules = [r for r in file.data.get("rules") or [] if _may_edit(r.get("entities") or [])]
    return render_template("admin/rules.html", rules=rules)


def _render(file: ConfigFile, name: str, values: dict, rule_type: str, **extra):
    models = rule_models()
    return render_template("admin/rule.html", name=name, rule_type=rule_type,
                           types=sorted(models), version=request.form.get("version")
                           or file.version, fields=form_fields(models[rule_type], values),
                           weeks=WEEKS, chosen_weeks=_weeks(), **extra)


def _weeks() -> int:
    raw = request.values.get("weeks", "1")
    return int(raw) if raw.isdigit() and int(raw) in WEEKS else 1


@bp.get("/admin/rules/<name>")
@access.permission("configure")
def edit(name: str):
    file = _file()
    rule = _editable(file, name)
    return _render(file, name, rule, str(rule.get("type")), groups=_groups(name))


def _groups(name: str) -> list[dict]:
    """How each group of the running rule ``name`` stands now, for a rule type that tells
    (``negative_spike``'s calibrated thresholds): own or borrowed baseline, thresholds, and
    whether the group is too small ever to reach its false-alarm budget. Groups outside the
    user's scope are left out."""
    runtime = reads.current_runtime()
    config = next((r for r in runtime.config.rules if r.name == name), None)
    if config is None:
        return []
    names = entity_names(runtime.config)
    rule = build_rule(config, names, rule_context(runtime))
    status = getattr(rule, "group_status", None)
    if status is None:
        return []
    shown = []
    for group in status(rule_reads(runtime.store), utcnow()):
        if rule.group_by == "entity" and not access.in_scope([group.key]):
            continue
        shown.append({"key": group.key, "name": names.get(group.key or "", group.key or ""),
                      "reviews": group.reviews, "own": round(100 * group.own),
                      "borrows": group.borrows, "too_small": group.too_small,
                      "brand": names.get(group.borrowed_from or "", group.borrowed_from),
                      "min_count": group.min_count, "budget": config.false_alarms_per_week,
                      "thresholds": [{"window": display(w), "expected": round(e, 1),
                                      "threshold": max(k, group.min_count)}
                                     for w, e, k in group.thresholds]})
    return shown


def _submitted(file: ConfigFile, name: str, original: dict) -> tuple[dict, str]:
    models = rule_models()
    rule_type = request.form.get("type", "")
    if rule_type not in models:
        rule_type = str(original.get("type"))
    return from_form(models[rule_type], name, rule_type, request.form, original), rule_type


def _checked(file: ConfigFile, name: str, values: dict):
    """The config with the edited rule, or the problems as ``koubei config check`` prints
    them."""
    try:
        return file.check(file.with_rule(name, values)), []
    except ConfigError as exc:
        return None, [str(p) for p in exc.problems]


def _window(rule) -> timedelta:
    return getattr(rule, "window", None) or reads.current_runtime().config.detection_interval


def _interval(rule, weeks: int) -> timedelta:
    """The rule's window, or coarser when the period would need more than ``MAX_TICKS``
    ticks (whole minutes)."""
    step = max(_window(rule), timedelta(weeks=weeks) / MAX_TICKS, timedelta(minutes=1))
    return timedelta(minutes=math.ceil(step / timedelta(minutes=1)))


def _replay(rule, start: datetime, end: datetime) -> list[dict]:
    runtime = reads.current_runtime()
    if rule is None:
        return []
    result = backtest(runtime, start, end, [rule.name], _interval(rule, (end - start).days // 7),
                      rule_configs=[rule])
    return result.incidents


def _timeline(incidents: list[dict], start: datetime, end: datetime) -> list[dict]:
    """The replayed incidents placed on the period, each with (at most three of) the example
    reviews of its explanation that the reader may see."""
    span = (end - start).total_seconds()
    examples = [[r for r in (i.get("explanation") or {}).get("reviews") or []
                 if isinstance(r, dict)] for i in incidents]
    visible = reads.find_reviews(list(dict.fromkeys(
        r["id"] for rs in examples for r in rs if isinstance(r.get("id"), str))))
    shown = []
    for incident, reviews in zip(incidents, examples):
        opened = datetime.fromisoformat(incident["opened_at"])
        shown.append({**incident, "opened": opened,
                      "x": round(100 * (opened - start).total_seconds() / span, 2),
                      "reviews": [r for r in reviews if r.get("id") in visible][:3]})
    return shown


def _per_week(incidents: list[dict], start: datetime, weeks: int) -> list[int]:
    counts = [0] * weeks
    for incident in incidents:
        index = int((incident["opened"] - start) / timedelta(weeks=1))
        if 0 <= index < weeks:
            counts[index] += 1
    return counts


@bp.post("/admin/rules/<name>/preview")
@access.permission("configure")
def preview(name: str):
    file = _file()
    original = _editable(file, name)
    values, rule_type = _submitted(file, name, original)
    candidate, problems = _checked(file, name, values)
    if candidate is not None and not _may_edit(values.get("entities") or []):
        problems = [gettext("rules.out_of_scope")]
    result = None
    if not problems:
        weeks, end = _weeks(), utcnow()
        start = end - timedelta(weeks=weeks)
        current = next((r for r in reads.current_runtime().config.rules if r.name == name),
                       None)
        edited = next(r for r in candidate.rules if r.name == name)
        now_list = _timeline(_replay(current, start, end), start, end)
        new_list = _timeline(_replay(edited, start, end), start, end)
        result = {"start": start, "end": end, "weeks": weeks,
                  "interval": display(_interval(edited, weeks)),
                  "coarse": _interval(edited, weeks) > _window(edited),
                  "current": now_list, "edited": new_list,
                  "week_starts": [start + timedelta(weeks=k) for k in range(weeks)],
                  "current_counts": _per_week(now_list, start, weeks),
                  "edited_counts": _per_week(new_list, start, weeks)}
    return _render(file, name, values, rule_type, problems=problems, preview=result,
                   tz=display_zone())


@bp.post("/admin/rules/<name>/save")
@access.permission("configure")
def save(name: str):
    file = _file()
    original = _editable(file, name)
    values, rule_type = _submitted(file, name, original)
    if not _may_edit(values.get("entities") or []):
        return _render(file, name, values, rule_type, problems=[gettext("rules.out_of_scope")])
    text = file.with_rule(name, values)
    runtime = reads.current_runtime()
    try:
        backup = file.save(text, request.form.get("version"), runtime.home / BACKUPS)
    except ConfigError as exc:
        return _render(file, name, values, rule_type, problems=[str(p) for p in exc.problems])
    except CannotSave as exc:
        return _render(file, name, values, rule_type, problems=[str(exc)])
    runtime.config = file.check(text)  # the app sees the new rule at once
    before = {k: _plain(v) for k, v in original.items()}
    after = {k: _plain(v) for k, v in values.items()}
    with runtime.state.session() as session:
        audit.record(session, g.user.username, "rule", name, "updated",
                     {"changes": audit.changes(before, after), "backup": backup.name})
    flash(gettext("rules.saved", backup=backup.name), "success")
    return redirect(url_for("rules.edit", name=name))


def _plain(value):
    return list(value) if isinstance(value, list) else value
