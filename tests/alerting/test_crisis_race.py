"""A crisis review stored by a crawl (the store hook, ``alerting.detect.crisis.on_stored``, in
the crawl child) and a detection tick evaluating ``crisis_keyword`` over the same review at the
same moment open exactly one incident for its term, and send one notice: two real threads,
on SQLite and on PostgreSQL.

Both threads look for the term's active incident before either opens one when nothing keeps
them apart: the test holds each thread right after that look until the other has looked too
(or a few seconds passed, which is what happens when the look itself waits for the other)."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from alerting.detect import crisis
from models.review import utcnow
from models.state import Incident
from tests.factories import make_review
from web import jobs
from web.runtime import open_runtime

CONFIG = """\
timezone: Asia/Shanghai
detection_interval: 1h
state_url: "{state_url}"
rules:
  - {{name: crisis, type: crisis_keyword, channels: [hook]}}
channels:
  - {{name: hook, type: webhook, url: "{url}"}}
"""
HOLD = 5.0  # seconds a thread waits for the other after looking for the active incident


class LookedTogether:
    """Holds each thread after its first look for an active incident of the crisis rule until
    the other thread's first look, or ``HOLD`` seconds."""

    def __init__(self, threads: int = 2):
        self.threads, self.looked, self.lock = threads, set(), threading.Condition()

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not ("FROM incidents" in statement and "incidents.group_key =" in statement
                and "incidents.status IN" in statement):
            return
        me = threading.get_ident()
        with self.lock:
            if me in self.looked:
                return
            self.looked.add(me)
            self.lock.notify_all()
            self.lock.wait_for(lambda: len(self.looked) >= self.threads, timeout=HOLD)


def test_a_stored_crisis_review_and_a_tick_at_the_same_moment_open_one_incident(
        tmp_path, state_url, webhook_receiver):
    receiver = webhook_receiver()
    config = tmp_path / "koubei.yaml"
    config.write_text(CONFIG.format(state_url=state_url, url=receiver.url), encoding="utf-8")
    crawl = open_runtime(config, tmp_path / "home")  # the crawl child's runtime
    text = "刚买的充电宝出现自燃的情况，太吓人了"
    review = make_review(label="negative", published_at=utcnow() - timedelta(minutes=1),
                         text=text, text_norm=text, flags=["crisis:自燃"])
    crawl.store.upsert([review])
    start, errors = threading.Barrier(2), []

    def run(job, *args) -> None:
        start.wait()
        try:
            job(*args)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
    together = LookedTogether()
    event.listen(Engine, "after_cursor_execute", together)
    try:
        threads = [threading.Thread(target=run, args=(crisis.on_stored, crawl, [review])),
                   threading.Thread(target=run, args=(jobs.detect_job, str(config),
                                                      str(crawl.home)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        event.remove(Engine, "after_cursor_execute", together)
    assert errors == []
    assert len(together.looked) == 2  # both threads looked for the incident
    with crawl.state.session() as session:
        opened = [(i.rule, i.group_key) for i in session.scalars(select(Incident))]
    crawl.close()
    assert opened == [("crisis", "自燃")]
    assert [(p["group_key"], p["kind"]) for p in receiver.payloads()] == [("自燃", "opened")]
