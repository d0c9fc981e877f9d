"""The entity editor (``/admin/entities``, admins): a brand's or product's name, keywords,
aliases and exclusions as a form; ``preview`` lists which stored reviews of the last 30 days
the edited entity would newly match and which would stop matching; ``save`` writes the config
file (as the rule editor does: comments kept, checked as ``koubei config check``, a backup,
the audit log) and starts re-tagging the stored reviews in a background thread, whose progress
the page shows until it is done."""
from __future__ import annotations

import threading
from datetime import timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from models import audit
from models.config_file import BACKUPS, CannotSave, ConfigError, ConfigFile
from models.review import utcnow
from web import reads, retag
from web.i18n import gettext
from web.runtime import PLUGINS
from web.security import access

bp = Blueprint("entities", __name__)
LISTS = ("keywords", "aliases", "exclude")
PREVIEW_DAYS = 30


def _file() -> ConfigFile:
    return ConfigFile(reads.current_runtime().config_path, PLUGINS)


def _entity(file: ConfigFile, entity_id: str) -> dict:
    try:
        return file.item("entities", entity_id)
    except KeyError:
        abort(404)


@bp.get("/admin/entities")
@access.permission("admin")
def index():
    return render_template("admin/entities.html", entities=_file().data.get("entities") or [])


def _submitted(original: dict) -> dict:
    values = dict(original)
    name = request.form.get("name", "").strip()
    if name:
        values["name"] = name
    for key in LISTS:
        terms = [t.strip() for t in request.form.get(key, "").replace("，", ",").split(",")]
        terms = [t for t in terms if t]
        if terms or key in original or key == "keywords":
            values[key] = terms
    return values


def _render(file: ConfigFile, entity_id: str, values: dict, **extra):
    return render_template("admin/entity.html", entity_id=entity_id, values=values,
                           lists=LISTS, version=request.form.get("version") or file.version,
                           job=extra.pop("job", None), **extra)


@bp.get("/admin/entities/<entity_id>")
@access.permission("admin")
def edit(entity_id: str):
    file = _file()
    runtime = reads.current_runtime()
    job_id = request.args.get("job", "")
    job = retag.job(runtime, int(job_id)) if job_id.isdigit() else None
    return _render(file, entity_id, _entity(file, entity_id), job=job)


def _checked(file: ConfigFile, entity_id: str, values: dict):
    text = file.with_item("entities", entity_id, values)
    try:
        config = file.check(text)
    except ConfigError as exc:
        return text, None, [str(p) for p in exc.problems]
    return text, next(e for e in config.entities if e.id == entity_id), []


@bp.post("/admin/entities/<entity_id>/preview")
@access.permission("admin")
def preview(entity_id: str):
    file = _file()
    values = _submitted(_entity(file, entity_id))
    _, entity, problems = _checked(file, entity_id, values)
    result = None
    if entity is not None:
        result = retag.preview(reads.current_runtime(), entity,
                               utcnow() - timedelta(days=PREVIEW_DAYS))
    return _render(file, entity_id, values, problems=problems, preview=result,
                   days=PREVIEW_DAYS)


@bp.post("/admin/entities/<entity_id>/save")
@access.permission("admin")
def save(entity_id: str):
    file = _file()
    original = _entity(file, entity_id)
    values = _submitted(original)
    text, entity, problems = _checked(file, entity_id, values)
    if problems:
        return _render(file, entity_id, values, problems=problems)
    runtime = reads.current_runtime()
    try:
        backup = file.save(text, request.form.get("version"), runtime.home / BACKUPS)
    except (ConfigError, CannotSave) as exc:
        return _render(file, entity_id, values, problems=[str(exc)])
    runtime.config = file.check(text)
    before = {k: list(v) if isinstance(v, list) else v for k, v in original.items()}
    with runtime.state.session() as session:
        audit.record(session, g.user.username, "entity", entity_id, "updated",
                     {"changes": audit.changes(before, values), "backup": backup.name})
    job_id = retag.start_job(runtime, entity_id, g.user.username)
    threading.Thread(target=retag.retag, args=(runtime, job_id, entity), daemon=True,
                     name=f"retag-{entity_id}").start()
    flash(gettext("entities.saved", backup=backup.name), "success")
    return redirect(url_for("entities.edit", entity_id=entity_id, job=job_id))
