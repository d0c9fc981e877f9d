"""The crawl worker of ``koubei run`` (``web.jobs.work_crawls``): a crawl the scheduler of the
same process queues (``crawl_job``) is claimed at once, not at the worker's next poll of the
queue."""
from __future__ import annotations

import threading
import time

from sqlalchemy import select

from models.state import CrawlJob
from web import jobs
from web.runtime import open_runtime

CONFIG = """\
timezone: Asia/Shanghai
sources:
  - {name: gone, type: appstore, base_url: "http://127.0.0.1:9", app_id: "1", interval: 1h}
"""
POLL = 3600.0  # the worker's poll of the queue: far longer than this test may take


def statuses(runtime) -> list[str]:
    with runtime.state.session() as session:
        return list(session.scalars(select(CrawlJob.status).order_by(CrawlJob.id)))


def test_a_crawl_queued_in_this_process_is_claimed_without_waiting_for_the_poll(tmp_path):
    config = tmp_path / "koubei.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    runtime = open_runtime(config, tmp_path / "home")
    stop = threading.Event()
    worker = threading.Thread(target=jobs.work_crawls, args=(runtime, stop, "w", POLL),
                              daemon=True)
    worker.start()
    try:
        time.sleep(0.5)  # the worker found the queue empty and waits
        jobs.crawl_job(str(config), str(runtime.home), "gone")
        end = time.monotonic() + 120
        while statuses(runtime) == ["queued"] and time.monotonic() < end:
            time.sleep(0.2)
        assert statuses(runtime) != ["queued"]  # claimed long before the next poll
    finally:
        stop.set()
        jobs.CRAWL_QUEUED.set()  # let the worker see the stop
        worker.join(120)
        runtime.close()
    assert not worker.is_alive()
