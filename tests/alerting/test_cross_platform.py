"""The same complaint on two platforms joins one incident when its terms and time overlap."""
from __future__ import annotations

from datetime import timedelta

from alerting.detect.tick import run_detection
from tests.alerting.conftest import NOW, add_burst, add_series, spike_rule
from tests.alerting.test_incidents import incidents, kinds

MIN = timedelta(minutes=1)


def calm(store, source):
    add_series(store, NOW - timedelta(hours=2), NOW + 30 * MIN, timedelta(minutes=20),
               source=source)


def test_a_weibo_thread_joins_the_app_store_incident_about_the_same_defect(configure):
    rt = configure(rules=[spike_rule(group_by="source", join_within="2h")])
    for source in ("demo-appstore", "weibo-yunque", "forum"):
        calm(rt.store, source)
    add_burst(rt.store, 12, source="demo-appstore")                    # 屏幕 发热 烫手
    assert [c.action for c in run_detection(rt, now=NOW).changes] == ["opened"]

    add_burst(rt.store, 9, end=NOW + 10 * MIN, source="weibo-yunque")   # same defect
    add_burst(rt.store, 8, end=NOW + 10 * MIN, source="forum", tokens=["物流", "太慢", "丢件"])
    report = run_detection(rt, now=NOW + 10 * MIN)
    # Changes name the incident: weibo's firing joined the app-store incident.
    assert sorted((c.group_key, c.action) for c in report.changes) == [
        ("demo-appstore", "joined"), ("forum", "opened")]
    appstore, forum = incidents(rt)
    assert appstore.group_key == "demo-appstore" and kinds(appstore)[-1] == "joined"
    joined = appstore.events[-1].detail
    assert joined["group"] == "weibo-yunque" and {"发热", "烫手"} <= set(joined["shared_terms"])
    assert len(appstore.review_ids) == 21

    # The weibo group keeps attaching to the joined incident, without joining again.
    again = run_detection(rt, now=NOW + 11 * MIN)
    assert ("demo-appstore", "fired") in {(c.group_key, c.action) for c in again.changes}
    assert kinds(incidents(rt)[0]).count("joined") == 1


def test_without_join_within_each_platform_has_its_own_incident(configure):
    rt = configure(rules=[spike_rule(group_by="source")])
    for source in ("demo-appstore", "weibo-yunque"):
        calm(rt.store, source)
        add_burst(rt.store, 10, source=source)
    report = run_detection(rt, now=NOW)
    assert sorted(c.action for c in report.changes) == ["opened", "opened"]
