"""Detection right after a crawl stored new reviews (``web.jobs.detect_after_crawl_job``): a
burst is detected without waiting for the next tick, once, under the scheduler lease.

The detection interval here is an hour, so the tick of the current interval has run by the
time the burst arrives and only the detection after the crawl can see it before then."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import crawl_queue
from models.lease import LeaderLease
from models.review import utcnow
from models.state import Incident, JobRun
from tests.alerting.conftest import add_burst
from web import jobs
from web.runtime import open_runtime

CONFIG = """\
timezone: Asia/Shanghai
detection_interval: 1h
entities:
  - {{id: yunque, name: 云雀手机, keywords: [云雀]}}
sources:
  - {{name: demo-appstore, type: appstore, base_url: "http://127.0.0.1:9", app_id: "1",
     interval: 15s, entities: [yunque]}}
rules:
  - {{name: negative-spike, type: negative_spike, window: 3m, baseline: 2h, min_count: 5,
     p_value: 0.001, min_ratio: 2, channels: [hook]}}
channels:
  - {{name: hook, type: webhook, url: "{url}"}}
"""


@pytest.fixture
def system(tmp_path, webhook_receiver):
    """The scheduler process's runtime on a config file notifying a real receiver, after the
    tick of the current interval ran (and found nothing)."""
    receiver = webhook_receiver()
    config = tmp_path / "koubei.yaml"
    config.write_text(CONFIG.format(url=receiver.url), encoding="utf-8")
    runtime = open_runtime(config, tmp_path / "home")
    jobs.detect_job(str(config), str(runtime.home))
    assert runs(runtime, jobs.TICK_RUN) == 1
    yield runtime, receiver
    runtime.close()


def runs(runtime, job: str) -> int:
    with runtime.state.session() as session:
        return session.scalar(select(func.count()).select_from(JobRun).where(JobRun.job == job))


def incidents(runtime) -> list[tuple[str, str]]:
    with runtime.state.session() as session:
        return [(i.rule, i.group_key) for i in session.scalars(select(Incident))]


def crawl_stored(runtime, new: int) -> int:
    """A crawl of the source, run and finished by a worker, that stored ``new`` reviews."""
    job = crawl_queue.enqueue(runtime.state, "demo-appstore", site="127.0.0.1")
    assert crawl_queue.claim(runtime.state, "worker").id == job
    assert crawl_queue.finish(runtime.state, job, "worker", True,
                              {"source": "demo-appstore", "new": new, "ok": True})
    return job


def burst_crawled(runtime) -> None:
    add_burst(runtime.store, 8, end=utcnow())
    crawl_stored(runtime, new=8)


def test_a_crawled_burst_is_detected_and_notified_without_waiting_for_the_tick(system):
    runtime, receiver = system
    burst_crawled(runtime)

    jobs.detect_after_crawl_job(runtime)

    assert incidents(runtime) == [("negative-spike", "yunque")]
    assert [(p["rule"], p["group_key"], p["kind"]) for p in receiver.payloads()] == [
        ("negative-spike", "yunque", "opened")]
    jobs.detect_job(str(runtime.config_path), str(runtime.home))  # this interval's tick ran
    assert runs(runtime, jobs.TICK_RUN) == 1


def test_each_crawl_triggers_one_run_and_only_crawls_with_new_reviews_trigger(system):
    runtime, receiver = system
    crawl_stored(runtime, new=0)
    jobs.detect_after_crawl_job(runtime)
    assert runs(runtime, jobs.AFTER_CRAWL_RUN) == 0

    burst_crawled(runtime)
    for _ in range(3):  # later polls find nothing new
        jobs.detect_after_crawl_job(runtime)
    assert runs(runtime, jobs.AFTER_CRAWL_RUN) == 1
    assert len(receiver.payloads()) == 1


def test_no_run_while_a_detection_runs_in_this_process_and_a_later_tick_covers_the_crawl(
        system):
    runtime, receiver = system
    burst_crawled(runtime)
    with jobs.DETECTING:  # a tick is running
        jobs.detect_after_crawl_job(runtime)
    assert runs(runtime, jobs.AFTER_CRAWL_RUN) == 0 and receiver.payloads() == []

    # the next tick, begun after the crawl finished, sees the burst; the poll then has nothing
    later = runtime.config.detection_interval
    with runtime.state.session() as session:  # make the tick's interval a new one
        for run in session.scalars(select(JobRun).where(JobRun.job == jobs.TICK_RUN)):
            run.slot, run.started_at = "0", run.started_at - later
    jobs.detect_job(str(runtime.config_path), str(runtime.home))
    jobs.detect_after_crawl_job(runtime)
    assert runs(runtime, jobs.AFTER_CRAWL_RUN) == 0
    assert [p["kind"] for p in receiver.payloads()] == ["opened"]


def test_the_tick_and_the_detection_after_a_crawl_racing_send_one_notice(system):
    runtime, receiver = system
    with runtime.state.session() as session:  # the tick's interval is a new one
        session.execute(JobRun.__table__.delete())
        session.add(JobRun(job=jobs.AFTER_CRAWL_RUN, slot="crawl-0",
                           started_at=utcnow() - timedelta(minutes=1)))
    burst_crawled(runtime)
    start = threading.Barrier(2)
    errors = []

    def run(job, *args):
        start.wait()
        try:
            job(*args)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(jobs.detect_after_crawl_job, runtime)),
               threading.Thread(target=run, args=(jobs.detect_job, str(runtime.config_path),
                                                  str(runtime.home)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert incidents(runtime) == [("negative-spike", "yunque")]
    assert [(p["group_key"], p["kind"]) for p in receiver.payloads()] == [("yunque", "opened")]


def test_a_scheduler_that_lost_the_lease_runs_nothing_and_the_new_leader_runs_once(system):
    runtime, receiver = system
    first = LeaderLease(runtime.state, holder="a", ttl=timedelta(seconds=30))
    old_fence = first.acquire()
    later = LeaderLease(runtime.state, holder="b", ttl=timedelta(seconds=30),
                        clock=lambda: utcnow() + timedelta(seconds=31))  # "a" stalled
    new_fence = later.acquire()
    assert old_fence is not None and new_fence is not None
    burst_crawled(runtime)

    jobs.detect_after_crawl_job(runtime, fence=str(old_fence))
    assert runs(runtime, jobs.AFTER_CRAWL_RUN) == 0 and incidents(runtime) == []

    jobs.detect_after_crawl_job(runtime, fence=str(new_fence))
    jobs.detect_after_crawl_job(runtime, fence=str(new_fence))
    jobs.detect_after_crawl_job(runtime, fence=str(old_fence))
    assert runs(runtime, jobs.AFTER_CRAWL_RUN) == 1
    with runtime.state.session() as session:
        run = session.scalars(select(JobRun).where(JobRun.job == jobs.AFTER_CRAWL_RUN)).one()
        assert (run.holder, run.token) == ("b", new_fence.token)
    assert [(p["group_key"], p["kind"]) for p in receiver.payloads()] == [("yunque", "opened")]
