"""``koubei reanalyze``: re-label the stored reviews with the current model (``web.reanalyze``)."""
from __future__ import annotations

import sys

import click

from models.exceptions import KoubeiError
from web.cli.options import iso_time, with_runtime


@click.command("reanalyze")
@click.option("--since", help="Only reviews published at or after this ISO-8601 time "
                              "(UTC if no offset; default: every stored review).")
@click.option("--resume", "resume_id", type=int,
              help="Continue job RESUME (failed, interrupted or whose process died) from the "
                   "last review it reached.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False),
              help="Label with this model artifact (default: the current one).")
@with_runtime
def reanalyze_command(runtime, since: str | None, resume_id: int | None,
                      model_path: str | None) -> None:
    """Analyse the stored reviews again with the current model, after a model change, in
    place: re-labelled reviews keep their place in the live feed and raise no new alert;
    counts and trends follow. The job shows on the admin page and can be resumed."""
    from models.audit import cli_actor
    from models.state import ReanalyzeJob
    from nlp.sentiment import SentimentModel
    from web import reanalyze

    start = iso_time(since, "--since")
    if resume_id is not None and since is not None:
        raise click.UsageError("--resume continues a job over its own period: drop --since")
    try:
        model = SentimentModel.load(model_path)
    except KoubeiError as exc:
        click.echo(f"reanalyze: {exc}", err=True)
        raise SystemExit(1)
    actor = cli_actor()
    if resume_id is None:
        try:
            job_id = reanalyze.start_job(runtime, actor, start, model.version)
        except reanalyze.JobRunning as exc:
            raise click.ClickException(f"{exc}; wait for it or resume it later "
                                       f"(--resume {exc.job_id})")
    else:
        found = reanalyze.job(runtime, resume_id)
        if found is None:
            raise click.BadParameter(f"no re-labelling job {resume_id}", param_hint="--resume")
        if found.status == "done":
            raise click.BadParameter(f"job {resume_id} is done already", param_hint="--resume")
        busy = reanalyze.running(runtime)
        if busy is not None and busy.id == resume_id:
            raise click.ClickException(
                f"job {resume_id} is still running (last progress at "
                f"{busy.updated_at.isoformat()}); resume it once it has stopped")
        job_id = resume_id
    job = reanalyze.job(runtime, job_id)
    scope = f"since {job.since.isoformat()}" if job.since else "all stored reviews"
    click.echo(f"job {job_id}: re-labelling {job.total} reviews ({scope}) with model "
               f"{model.version}" + (f", resuming after {job.done}" if job.done else ""),
               err=True)
    with click.progressbar(length=job.total, label="reanalyzing", file=sys.stderr) as bar:
        bar.update(job.done)
        seen = [job.done]

        def progress(now: ReanalyzeJob) -> None:
            bar.update(now.done - seen[0])
            seen[0] = now.done
        try:
            job = reanalyze.run(runtime, job_id, reanalyze.enricher_for(runtime, model),
                                progress)
        except KeyboardInterrupt:
            reanalyze.interrupt(runtime, job_id)
            click.echo(f"\ninterrupted: resume with `koubei reanalyze --resume {job_id}`",
                       err=True)
            raise SystemExit(130)
    click.echo(f"job {job_id}: looked at {job.done} reviews; {job.relabelled} changed "
               f"sentiment, {job.written} rewritten, {job.skipped} rewritten by a crawl "
               "meanwhile (left as it wrote them)")
    if job.status != "done":
        click.echo(f"job {job_id} failed: {job.error}; resume with "
                   f"`koubei reanalyze --resume {job_id}`", err=True)
        raise SystemExit(1)

