"""The scheduler's jobs, their persistence in the state database, and one real detect run."""
from __future__ import annotations

import threading
from datetime import timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from web.jobs import crawl_job, detect_after_crawl_job, detect_job, scheduler_for


def jobs_in_store(url: str) -> dict:
    """What a fresh scheduler on the same database finds (as after a restart)."""
    other = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url=url)})
    other.start(paused=True)
    try:
        return {job.id: job for job in other.get_jobs()}
    finally:
        other.shutdown(wait=False)


def test_adds_detection_and_one_crawl_per_enabled_source(runtime):
    scheduler = scheduler_for(runtime)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"detect", "crawl:demo-appstore", "detect:after-crawl"}
    detect, crawl = jobs["detect"], jobs["crawl:demo-appstore"]
    assert detect.func is detect_job and crawl.func is crawl_job
    after = jobs["detect:after-crawl"]  # the poll for fresh crawls, on this process's runtime
    assert after.func is detect_after_crawl_job and after.args == (runtime,)
    assert after.trigger.interval == timedelta(seconds=2)
    assert (after.max_instances, after.coalesce) == (1, True)
    assert detect.trigger.interval == timedelta(seconds=20)   # demo detection_interval
    assert crawl.trigger.interval == timedelta(seconds=15)    # demo source interval
    assert detect.args == (str(runtime.config_path), str(runtime.home))
    assert crawl.args == (str(runtime.config_path), str(runtime.home), "demo-appstore")
    for job in (detect, crawl):
        assert (job.max_instances, job.coalesce) == (1, True)
        assert job.misfire_grace_time >= 15
        assert job.next_run_time is not None  # first run straight away


def test_jobs_persist_in_the_state_database(runtime):
    scheduler = scheduler_for(runtime)
    scheduler.start(paused=True)
    scheduler.shutdown(wait=False)

    stored = jobs_in_store(runtime.state.url)
    assert set(stored) == {"detect", "crawl:demo-appstore"}
    assert stored["detect"].func_ref == "web.jobs:detect_job"
    assert stored["crawl:demo-appstore"].trigger.interval == timedelta(seconds=15)

    again = scheduler_for(runtime)  # a restart replaces the jobs instead of doubling them
    again.start(paused=True)
    again.shutdown(wait=False)
    assert set(jobs_in_store(runtime.state.url)) == {"detect", "crawl:demo-appstore"}


def test_crawls_of_sources_no_longer_enabled_are_removed(runtime, configure):
    scheduler = scheduler_for(runtime)
    scheduler.start(paused=True)
    scheduler.shutdown(wait=False)

    disabled = [s.model_copy(update={"enabled": False}) for s in runtime.config.sources]
    later = scheduler_for(configure(sources=disabled))
    later.start(paused=True)
    later.shutdown(wait=False)
    assert set(jobs_in_store(runtime.state.url)) == {"detect"}


def test_without_detect_after_crawl_only_the_tick_detects(runtime, configure):
    off = scheduler_for(configure(detect_after_crawl=False))
    assert {job.id for job in off.get_jobs()} == {"detect", "crawl:demo-appstore"}


def test_without_crawls_only_detection_is_scheduled(runtime):
    assert [job.id for job in scheduler_for(runtime, start_crawls=False).get_jobs()] == [
        "detect"]


def test_the_detect_job_runs_from_the_store(runtime):
    runtime.state  # create the state database the job store lives in
    scheduler = scheduler_for(runtime, start_crawls=False)
    done, outcome = threading.Event(), {}

    def record(event):
        outcome["exception"] = event.exception
        done.set()
    scheduler.add_listener(record, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start()
    try:
        assert done.wait(30), "the detect job never ran"
    finally:
        scheduler.shutdown(wait=True)
    assert outcome["exception"] is None


def store_job_as_an_older_version(url: str, job_id: str, func, old_ref: str, *args) -> None:
    """Write a job as it was stored before the job functions moved: APScheduler keeps a plain
    pickled dict whose ``func`` is a ``module:function`` string."""
    import pickle

    from sqlalchemy import insert, select

    store = SQLAlchemyJobStore(url=url)
    scheduler = BackgroundScheduler(jobstores={"default": store})
    scheduler.add_job(func, "interval", seconds=60, id=job_id, args=list(args))
    scheduler.start(paused=True)
    scheduler.shutdown(wait=False)
    with store.engine.begin() as connection:
        row = store.jobs_t.c
        state = pickle.loads(connection.execute(
            select(row.job_state).where(row.id == job_id)).scalar_one())
        state["func"] = old_ref
        connection.execute(store.jobs_t.delete().where(row.id == job_id))
        connection.execute(insert(store.jobs_t).values(
            id=job_id, next_run_time=state["next_run_time"].timestamp(),
            job_state=pickle.dumps(state, pickle.HIGHEST_PROTOCOL)))


def test_jobs_stored_by_an_older_version_are_rewritten_to_the_moved_functions(runtime, caplog):
    from alerting.scheduler import rewrite_moved_jobs
    from web.jobs import MOVED_FUNCTIONS

    args = (str(runtime.config_path), str(runtime.home))
    store_job_as_an_older_version(runtime.state.url, "detect", detect_job,
                                  "alerting.scheduler:detect_job", *args)
    store_job_as_an_older_version(runtime.state.url, "crawl:retired", crawl_job,
                                  "alerting.scheduler:crawl_job", *args, "retired")

    assert rewrite_moved_jobs(runtime.state.engine, MOVED_FUNCTIONS) == 2
    stored = jobs_in_store(runtime.state.url)  # restorable: the old module path is gone
    assert stored["detect"].func is detect_job and stored["crawl:retired"].func is crawl_job
    assert rewrite_moved_jobs(runtime.state.engine, MOVED_FUNCTIONS) == 0


def test_the_scheduler_starts_cleanly_on_an_older_job_store(runtime, caplog):
    args = (str(runtime.config_path), str(runtime.home))
    store_job_as_an_older_version(runtime.state.url, "crawl:retired", crawl_job,
                                  "alerting.scheduler:crawl_job", *args, "retired")
    scheduler = scheduler_for(runtime)
    scheduler.start(paused=True)
    scheduler.shutdown(wait=False)

    assert set(jobs_in_store(runtime.state.url)) == {"detect", "crawl:demo-appstore"}
    assert not [r for r in caplog.records if "Unable to restore job" in r.getMessage()]
