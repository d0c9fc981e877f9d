"""Bucket edges of any range in the display timezone, and the significance tests."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from web.analytics.figures import Figures
from web.analytics.stats import keyness, proportion_test
from web.trend_series import edges_between

SHANGHAI = timezone(timedelta(hours=8))
KATHMANDU = timezone(timedelta(hours=5, minutes=45))


def test_day_edges_are_local_midnights_covering_the_range():
    start = datetime(2026, 11, 1, 15, 30, tzinfo=SHANGHAI)
    end = datetime(2026, 11, 3, 0, 0, tzinfo=SHANGHAI)
    edges = edges_between(start, end, "day", SHANGHAI)
    assert [e.astimezone(SHANGHAI).isoformat() for e in edges] == [
        "2026-11-01T00:00:00+08:00", "2026-11-02T00:00:00+08:00", "2026-11-03T00:00:00+08:00"]


def test_hour_edges_follow_the_local_hour():
    start = datetime(2026, 11, 1, 10, 50, tzinfo=KATHMANDU)
    edges = edges_between(start, start + timedelta(minutes=20), "hour", KATHMANDU)
    assert [e.astimezone(KATHMANDU).strftime("%H:%M") for e in edges] == [
        "10:00", "11:00", "12:00"]


def test_proportion_test_against_a_hand_computed_z():
    test = proportion_test(30, 40, 11, 65)
    pooled = 41 / 105
    z = (0.75 - 11 / 65) / math.sqrt(pooled * (1 - pooled) * (1 / 40 + 1 / 65))
    assert test.statistic == pytest.approx(z)
    assert test.p_value == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(z / math.sqrt(2)))))
    assert proportion_test(0, 0, 3, 10) is None and proportion_test(0, 10, 0, 10) is None


def test_keyness_is_dunnings_g2_signed_by_direction():
    # a table worked by hand: 10 of 20 now, 1 of 20 before
    cells = [(10, 5.5), (10, 14.5), (1, 5.5), (19, 14.5)]
    g2 = 2 * sum(o * math.log(o / e) for o, e in cells)
    test = keyness(10, 20, 1, 20)
    assert test.statistic == pytest.approx(g2)
    assert test.p_value == pytest.approx(math.erfc(math.sqrt(g2 / 2)))
    assert keyness(1, 20, 10, 20).statistic == pytest.approx(-g2)
    assert keyness(5, 10, 0, 0).statistic == 0.0


def test_cx_figures_from_whole_star_ratings():
    figures = Figures(ratings={"5": 3, "4": 1, "3": 1, "0": 1, None: 4})
    assert figures.rated == 6
    assert figures.csat == pytest.approx(4 / 6)
    assert figures.promoter_index == pytest.approx((3 - 2) / 6 * 100)
    assert figures.mean_rating == pytest.approx((15 + 4 + 3) / 6)
    assert Figures().csat is None and Figures().promoter_index is None
