"""Recall of the calibrated rule types on triggers a handler wants caught, with the calm
side of each change (issue 21: per-rule-type recall at low volume)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.detect.baselines import SeasonalProfile, history
from alerting.detect.rules.emerging_topic import EmergingTopicConfig
from alerting.detect.rules.negative_share import NegativeShareConfig
from alerting.detect.rules.rating_drop import RatingDropConfig
from alerting.detect.rules.source_silent import HOUR_PRIOR_REVIEWS, gap_tail, gap_threshold
from models.store import ReviewQuery
from tests.alerting.series import BEIJING, burst, make_review, seasonal_series
from tests.alerting.test_rules_calibrated import rule
from tests.alerting.test_rules_topic_silent_crisis import NOW, WEEK_AGO, silent_rule


def day_and_night(at):
    """6 reviews an hour from 07:00 to midnight, 1 an hour at night (about 110 a day)."""
    return 1 if at.astimezone(BEIJING).hour < 7 else 6


def test_gap_threshold_spends_the_budget_over_a_weeks_gaps():
    # every review starts a gap: N gaps a week, each outlasting E with gap_tail(E)
    for per_week, alpha, budget in ((700, 0.05, 0.1), (7000, 0.0, 0.1), (300, 0.3, 0.5)):
        needed = gap_threshold(per_week, alpha, budget)
        assert per_week * gap_tail(needed, alpha) <= budget * 1.0001
        assert per_week * gap_tail(needed * 0.95, alpha) > budget


def test_source_silent_sees_an_evening_outage_through_the_night(runtime):
    store = runtime.store
    outage = NOW + timedelta(hours=2)  # 22:00 in Beijing; nothing after it
    seasonal_series(store, WEEK_AGO, outage, day_and_night)
    # a working source at 22:00: its last review a few minutes ago
    assert silent_rule().evaluate(store, outage) == []
    # midnight and 06:00: no fixed window (1-6 h) is empty enough yet, but the reviews
    # missed since the last one, at 21:55, are
    for hours in (4, 10):
        [firing] = silent_rule().evaluate(store, NOW + timedelta(hours=hours))
        assert firing.metric == 0
        assert firing.window_start.astimezone(BEIJING).strftime("%H:%M") == "21:55"
        threshold = firing.explanation["threshold"]
        assert firing.baseline >= threshold["gap_expected_threshold"] > 5
        assert threshold["tests"] == 5  # four windows and the gap share the budget


def test_negative_share_a_short_burst_is_judged_at_the_usual_arrival_rate(runtime):
    # 4 reviews an hour, a quarter negative (a model calls about that many calm reviews
    # negative); then 9 complaints in 20 minutes: the window's volume is the burst's own,
    # and a calm week's negatives do not arrive at that rate
    store = runtime.store
    seasonal_series(store, WEEK_AGO, NOW, lambda at: 4, negative_share=0.25)
    burst(store, 9, NOW, timedelta(minutes=20))
    [firing] = rule(NegativeShareConfig).evaluate(store, NOW)
    threshold = firing.explanation["threshold"]
    assert threshold["arrivals_per_hour"] == pytest.approx(4, rel=0.05)
    assert firing.explanation["count"] >= threshold["threshold"]


def test_rating_drop_a_short_burst_is_judged_at_the_usual_arrival_rate(runtime):
    store = runtime.store
    seasonal_series(store, WEEK_AGO, NOW, lambda at: 4, negative_share=0.25)
    burst(store, 9, NOW, timedelta(minutes=20), rating=1.0)
    [firing] = rule(RatingDropConfig).evaluate(store, NOW)
    threshold = firing.explanation["threshold"]
    assert threshold["arrivals_per_hour"] == pytest.approx(4, rel=0.05)
    assert threshold["low"] >= threshold["threshold"]


def _negatives(store, start, count, step, tokens_of):
    store.upsert([make_review(label="negative", published_at=start + step * i,
                              tokens=tokens_of(i)) for i in range(count)])


COMMON = [f"词{i:02d}" for i in range(60)]


def _baseline_of_many_words(store):
    # a week of negatives using 60 everyday words, 客服 in one in fifty of them
    _negatives(store, WEEK_AGO, 500, timedelta(minutes=19),
               lambda i: [COMMON[i % 60], COMMON[(i * 7) % 60], COMMON[(i * 11) % 60],
                          "客服" if i % 50 == 0 else "一般"])


def test_emerging_topic_budget_goes_to_the_words_that_could_cross_by_chance(runtime):
    store = runtime.store
    _baseline_of_many_words(store)
    # an hour of 24 complaints, 5 about 客服; each other one names a model number that one
    # other complaint names too: 12 more candidates, none of which a calm hour could bring
    # to five (never seen before), so they need not take a share of the budget
    _negatives(store, NOW - timedelta(minutes=59), 24, timedelta(minutes=2, seconds=25),
               lambda i: [f"型号{i // 2}", COMMON[i % 60]] + (["客服"] if i % 5 == 0 else []))
    fired = rule(EmergingTopicConfig, fields=["term"]).evaluate(store, NOW)
    assert [f.group_key for f in fired] == ["term:客服"]
    assert fired[0].metric == 5
    # the everyday words at their usual shares stay quiet, however many there are
    assert rule(EmergingTopicConfig, fields=["term"]).evaluate(
        store, NOW - timedelta(hours=1, minutes=5)) == []


def test_emerging_topic_sees_a_problem_reported_over_an_afternoon(runtime):
    store = runtime.store
    _baseline_of_many_words(store)
    # 客服 twice an hour for 4 hours: never five in one hour
    _negatives(store, NOW - timedelta(hours=4), 8, timedelta(minutes=29),
               lambda i: ["客服", COMMON[i % 60]])
    assert rule(EmergingTopicConfig, fields=["term"], window="1h").evaluate(store, NOW) == []
    [firing] = rule(EmergingTopicConfig, fields=["term"]).evaluate(store, NOW)
    assert firing.group_key == "term:客服" and firing.metric == 8
    assert firing.window_start == NOW - timedelta(hours=4)


def test_source_silent_past_outages_do_not_blunt_the_next_one(runtime):
    # two day-long outages in the baseline week: they are not how a working source varies
    store = runtime.store
    seasonal_series(store, WEEK_AGO, NOW - timedelta(days=5), day_and_night)
    seasonal_series(store, NOW - timedelta(days=4), NOW - timedelta(days=3), day_and_night)
    seasonal_series(store, NOW - timedelta(days=2), NOW - timedelta(hours=4), day_and_night)
    at = NOW - timedelta(hours=1, minutes=30)  # 18:30: silent since 15:55, ~15 reviews missed
    [firing] = silent_rule().evaluate(store, at)
    threshold = firing.explanation["threshold"]
    # read with the outages, the dispersion was 0.18 and the gap needed about 22 reviews
    assert threshold["dispersion"] < 0.1
    assert firing.baseline >= threshold["gap_expected_threshold"]
    assert silent_rule().evaluate(store, NOW - timedelta(hours=3)) == []  # 17:00: not yet


def test_a_busy_sources_night_is_expected_at_its_own_rate(runtime):
    # 60 reviews an hour by day, 4 from 01:00 to 07:00: an hour of average data as the
    # hour-of-day prior put the night at 2.4 times its rate, and every night looked half dead
    store = runtime.store
    busy = lambda at: 4 if 1 <= at.astimezone(BEIJING).hour < 7 else 60  # noqa: E731
    seasonal_series(store, WEEK_AGO, NOW, busy)
    past = history(store, ReviewQuery(start=WEEK_AGO, end=NOW), WEEK_AGO, NOW)
    night, noon = NOW.replace(hour=19), NOW.replace(hour=4)  # 03:00 and 12:00 in Beijing

    def ratio(profile):
        return profile.weight(night) / profile.weight(noon)

    assert ratio(SeasonalProfile().fit(past.buckets)) > 2 * 4 / 60
    assert ratio(SeasonalProfile(hour_prior_reviews=HOUR_PRIOR_REVIEWS).fit(past.buckets)) \
        == pytest.approx(4 / 60, rel=0.25)
