"""Re-labelling the stored reviews after a model change (``/admin/reanalyze``, admins): the
latest jobs with their progress, a form that starts one over the reviews published since a
day (all of them when empty) in a background thread, and a button that resumes a job that
stopped. The work itself is ``web.reanalyze`` (as ``koubei reanalyze`` runs it)."""
from __future__ import annotations

import threading
from datetime import date, datetime, time

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from models.runtime import Runtime
from nlp.exceptions import NLPError
from web import reads, reanalyze
from web.display import display_zone
from web.i18n import gettext
from web.security import access

bp = Blueprint("reanalyze", __name__)


@bp.get("/admin/reanalyze")
@access.permission("admin")
def index():
    runtime = reads.current_runtime()
    jobs = reanalyze.recent(runtime)
    busy = reanalyze.running(runtime)
    return render_template("admin/reanalyze.html", jobs=jobs, busy=busy,
                           since=request.args.get("since", ""))


def _since(raw: str) -> datetime | None:
    """The form's day (in the display zone) as the start of that day; raises ValueError."""
    raw = raw.strip()
    if not raw:
        return None
    return datetime.combine(date.fromisoformat(raw), time(), display_zone())


def _launch(runtime: Runtime, job_id: int) -> None:
    enricher = reanalyze.enricher_for(runtime)
    threading.Thread(target=reanalyze.run, args=(runtime, job_id, enricher), daemon=True,
                     name=f"reanalyze-{job_id}").start()


@bp.post("/admin/reanalyze")
@access.permission("admin")
def start():
    runtime = reads.current_runtime()
    raw = request.form.get("since", "")
    try:
        since = _since(raw)
    except ValueError:
        flash(gettext("reanalyze.bad_since", value=raw), "error")
        return redirect(url_for("reanalyze.index"))
    try:
        model = reanalyze.enricher_for(runtime).model.version
        job_id = reanalyze.start_job(runtime, g.user.username, since, model)
    except reanalyze.JobRunning as exc:
        flash(gettext("reanalyze.busy", id=exc.job_id), "error")
        return redirect(url_for("reanalyze.index"))
    except NLPError as exc:
        flash(gettext("reanalyze.no_model", error=str(exc)), "error")
        return redirect(url_for("reanalyze.index"))
    _launch(runtime, job_id)
    flash(gettext("reanalyze.started", id=job_id), "success")
    return redirect(url_for("reanalyze.index"))


@bp.post("/admin/reanalyze/<int:job_id>/resume")
@access.permission("admin")
def resume(job_id: int):
    runtime = reads.current_runtime()
    job = reanalyze.job(runtime, job_id)
    busy = reanalyze.running(runtime)
    if job is None or job.status == "done":
        flash(gettext("reanalyze.not_resumable", id=job_id), "error")
    elif busy is not None:
        flash(gettext("reanalyze.busy", id=busy.id), "error")
    else:
        reanalyze.reopen(runtime, job_id)
        _launch(runtime, job_id)
        flash(gettext("reanalyze.resumed", id=job_id), "success")
    return redirect(url_for("reanalyze.index"))
