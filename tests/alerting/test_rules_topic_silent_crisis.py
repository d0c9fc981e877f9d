"""emerging_topic, source_silent and crisis_keyword on crafted data."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from alerting.detect.calendar import Calendar
from alerting.detect.rules import RuleContext, build_rule
from alerting.detect.rules.crisis_keyword import CrisisKeywordConfig
from alerting.detect.rules.emerging_topic import EmergingTopicConfig
from alerting.detect.rules.source_silent import SourceSilentConfig
from crawlers.importers import import_file
from models.config import CalendarEvent
from models.review import utcnow
from models.state import CrawlCheckpoint, Incident
from tests.alerting.conftest import NOW
from tests.alerting.series import burst, evening_peak, seasonal_series
from tests.factories import make_review

AT = NOW + timedelta(minutes=30)
WEEK_AGO = NOW - timedelta(days=7)


def topic_rule(**options):
    return build_rule(EmergingTopicConfig(name="emerging", type="emerging_topic", **options))


def silent_rule(context=None, **options):
    return build_rule(SourceSilentConfig(name="silent", type="source_silent", **options),
                      context=context)


def test_emerging_term_fires_once_for_the_terms_of_one_problem(runtime):
    store = runtime.store
    seasonal_series(store, WEEK_AGO, AT, lambda at: 12)   # negatives say 电池 续航 一般
    burst(store, 8, AT, timedelta(minutes=40), tokens=("屏幕", "发热", "烫手"),
          topics=["功能性能"])
    firings = topic_rule(fields=["term"]).evaluate(store, AT)
    assert [f.group_key for f in firings] == ["term:发热"]
    [firing] = firings
    assert firing.metric == 8
    assert sorted(firing.explanation["related_terms"]) == ["屏幕", "烫手"]
    assert firing.title.endswith("新问题出现：发热")
    assert len(firing.explanation["reviews"]) == 5


def test_emerging_topic_quiet_on_growth_of_the_usual_complaints(runtime):
    store = runtime.store
    seasonal_series(store, WEEK_AGO, NOW, lambda at: 12)
    seasonal_series(store, NOW, AT, lambda at: 120)       # ten times more of the same
    assert topic_rule().evaluate(store, AT) == []


def test_emerging_topic_by_topic(runtime):
    store = runtime.store
    seasonal_series(store, WEEK_AGO, AT, lambda at: 12, topics=["功能性能"])
    burst(store, 9, AT, timedelta(minutes=30), topics=["物流配送"], tokens=("快递", "慢"))
    firings = topic_rule(fields=["topic"]).evaluate(store, AT)
    assert [(f.group_key, f.metric) for f in firings] == [("topic:物流配送", 9)]


def test_source_silent_fires_on_a_quiet_source_not_at_night(runtime):
    store = runtime.store
    seasonal_series(store, WEEK_AGO, NOW - timedelta(hours=1), evening_peak(night=2, peak=60),
                    source="weibo-yunque")
    seasonal_series(store, WEEK_AGO, AT + timedelta(minutes=30),
                    evening_peak(night=2, peak=60), source="demo-appstore")
    # 20:30 in Beijing: weibo should have brought ~30 reviews in its peak hour, brought none.
    [firing] = silent_rule(window="1h").evaluate(store, AT + timedelta(minutes=30))
    assert firing.group_key == "weibo-yunque" and firing.metric == 0
    assert firing.baseline > 20
    assert firing.title == "weibo-yunque 数据源无新评论"
    # At night 2 reviews an hour are expected: an empty hour means nothing.
    night = NOW - timedelta(hours=3)
    assert silent_rule(window="1h").evaluate(store, night) == []
    planned = CalendarEvent(name="微博接口维护", kind="outage", start=NOW - timedelta(hours=1),
                            end=AT + timedelta(hours=2), sources=["weibo-yunque"])
    context = RuleContext(Calendar([planned]))
    assert silent_rule(context, window="1h").evaluate(store, AT + timedelta(minutes=30)) == []


def test_source_silent_fires_on_a_source_recorded_broken(runtime):
    seasonal_series(runtime.store, WEEK_AGO, AT, lambda at: 12, source="demo-appstore")
    with runtime.state.session() as session:
        session.add(CrawlCheckpoint(source="demo-appstore", status="broken",
                                    broken_since=NOW - timedelta(hours=2),
                                    last_error="HTTP 403 from https://example.com/feed"))
    rule = silent_rule(RuleContext(state=runtime.state))
    [firing] = rule.evaluate(runtime.store, AT)
    assert firing.group_key == "demo-appstore"
    assert firing.explanation["broken"] is True
    assert "HTTP 403" in firing.explanation["summary"]
    assert firing.explanation["crawl"]["status"] == "broken"


def test_crisis_keyword_matches_flags_and_configured_terms():
    rule = build_rule(CrisisKeywordConfig(name="crisis", type="crisis_keyword", terms=["爆胶"]))
    poisoned = make_review(label="negative", published_at=NOW - timedelta(minutes=1),
                           text="吃完食物中毒了", flags=["crisis:食物中毒"])
    glue = make_review(label="negative", published_at=NOW - timedelta(minutes=2),
                       text="屏幕爆胶了", text_norm="屏幕爆胶了")
    calm = make_review(published_at=NOW - timedelta(minutes=3))
    firings = rule.match([poisoned, glue, calm], NOW)
    assert [(f.group_key, f.review_ids) for f in firings] == [
        ("爆胶", (glue.id,)), ("食物中毒", (poisoned.id,))]
    assert firings[1].title == "yunque 危机关键词：食物中毒"
    assert firings[1].explanation["reviews"][0]["text"] == "吃完食物中毒了"


def test_an_imported_crisis_review_opens_its_incident_when_stored(configure, tmp_path):
    rt = configure(rules=[CrisisKeywordConfig(name="crisis", type="crisis_keyword",
                                            window="1d")])
    path = tmp_path / "reviews.jsonl"
    now = utcnow()
    rows = [{"id": "a1", "text": "在店里吃完全家食物中毒，太可怕了", "time": now.isoformat()},
            {"id": "a2", "text": "味道不错，下次再来", "time": now.isoformat()}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows),
                    encoding="utf-8")

    report = import_file(rt, path, "shop-export",
                         mapping={"id": "id", "text": "text", "published_at": "time"})

    assert report.new == 2
    with rt.state.session() as session:
        [incident] = session.scalars(select(Incident)).all()
        assert (incident.rule, incident.group_key, incident.status) == (
            "crisis", "食物中毒", "open")
        assert len(incident.review_ids) == 1


def test_a_crisis_notice_sent_at_store_time_carries_signed_action_links(configure,
                                                                        webhook_receiver):
    # Incidents opened by the store hook are made like those of a detection tick: same
    # signing key, so the handler can act from the notification.
    from alerting.detect.crisis import on_stored
    from alerting.respond.action_links import Action, read_token
    from alerting.respond.channels.webhook import WebhookConfig
    from models.instance_key import instance_key

    receiver = webhook_receiver()
    hook = WebhookConfig(name="hook", type="webhook", url=receiver.url)
    rt = configure(rules=[CrisisKeywordConfig(name="crisis", type="crisis_keyword", window="1d",
                                            channels=["hook"])], channels=[hook])
    review = make_review(label="negative", published_at=utcnow() - timedelta(minutes=1),
                         text="吃完食物中毒了", flags=["crisis:食物中毒"])
    rt.store.upsert([review])

    [change] = on_stored(rt, [review])

    [(_, body)] = receiver.accepted
    links = json.loads(body)["actions"]
    assert {action: read_token(instance_key(rt.home), url.rsplit("/a/", 1)[1])
            for action, url in links.items()} == {
        "acknowledge": Action(change.incident_id, "acknowledge"),
        "open": Action(change.incident_id, "open")}


def source_silent_incidents(rt) -> list[tuple[str, list[str]]]:
    with rt.state.session() as session:
        return [(i.status, [e.kind for e in i.events])
                for i in session.scalars(select(Incident).where(Incident.rule == "silent"))]


def test_a_dead_source_stays_one_incident_through_the_night_until_reviews_return(configure):
    # The audit: a 4-day outage gave an incident a night, each auto-resolved (with an
    # all-clear) when the expected volume fell below min_expected, while the source was dead.
    from alerting.detect.tick import run_detection

    rt = configure(rules=[SourceSilentConfig(name="silent", type="source_silent", window="1h",
                                             sources=["weibo-yunque"])], channels=[])
    died = NOW - timedelta(hours=1)  # 19:00 Beijing, before the evening peak
    seasonal_series(rt.store, WEEK_AGO, died, evening_peak(night=2, peak=60),
                    source="weibo-yunque")
    for half_hours in range(0, 2 * 30):  # 30 hours of ticks: through a night and a day
        run_detection(rt, now=AT + timedelta(minutes=30 * half_hours))
    [(status, kinds)] = source_silent_incidents(rt)
    assert status == "open" and "auto_resolved" not in kinds

    back = AT + timedelta(hours=30)
    seasonal_series(rt.store, back, back + timedelta(hours=2), lambda at: 12,
                    source="weibo-yunque")
    for minutes in (60, 90, 120):
        run_detection(rt, now=back + timedelta(minutes=minutes))
    [(status, kinds)] = source_silent_incidents(rt)
    assert status == "resolved" and kinds[-1] == "auto_resolved"


def test_a_broken_crawl_incident_resolves_after_a_successful_crawl(runtime):
    from alerting.detect.rules.base import RuleContext as Context

    seasonal_series(runtime.store, WEEK_AGO, AT, lambda at: 12, source="demo-appstore")
    with runtime.state.session() as session:
        session.add(CrawlCheckpoint(source="demo-appstore", status="broken",
                                    broken_since=NOW - timedelta(hours=2),
                                    last_error="HTTP 403 from https://example.com/feed"))
        session.add(Incident(rule="silent", group_key="demo-appstore", status="open",
                             title="t", opened_at=NOW, last_fired_at=NOW,
                             explanation={"broken": True}))
    rule = silent_rule(Context(state=runtime.state, incidents=runtime.state))
    assert [f.opens for f in rule.evaluate(runtime.store, AT)] == [True]
    with runtime.state.session() as session:
        session.scalars(select(CrawlCheckpoint)).one().status = "ok"
    assert rule.evaluate(runtime.store, AT) == []  # recovered: nothing keeps it alive
