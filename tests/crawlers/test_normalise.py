"""Field normalisation shared by the spiders: HTML to text, ratings, counts, times."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from crawlers.normalise import parse_time, strip_html, to_count, to_rating

BEIJING = timezone(timedelta(hours=8))


@pytest.mark.parametrize("markup, text", [
    ('退款太慢<span class="url-icon"><img alt="[怒]" src="x.png"></span>!', "退款太慢[怒]!"),
    ("<p>第一行</p><p>第二行<br/>第三行</p>", "第一行\n第二行\n第三行"),
    ("a &lt; b &amp;&amp; 5 &gt; 3", "a < b && 5 > 3"),
    ("我 <3 这个 app，a<b", "我 <3 这个 app，a<b"),  # no tag: kept as written
    ("<a href='/n/云雀'>@云雀</a> 加油😀", "@云雀 加油😀"),
    ("", ""), (None, ""),
])
def test_strip_html_keeps_emoticon_alt_text(markup, text):
    assert strip_html(markup) == text


@pytest.mark.parametrize("value, scale, rating", [
    ("5", 5, 5.0), (4, 5, 4.0), ("40", 50, 4.0), (8, 10, 4.0), ("4.5", 5, 4.5),
    (None, 5, None), ("", 5, None), ("很好", 5, None), (6, 5, None), (-1, 5, None),
    (True, 5, None),
])
def test_rating_brought_to_zero_to_five(value, scale, rating):
    assert to_rating(value, scale) == rating


def test_counts_are_never_negative_or_unreadable():
    assert (to_count("12"), to_count(3), to_count(None), to_count("1.2万"), to_count(-4)) == \
        (12, 3, 0, 0, 0)


@pytest.mark.parametrize("value, expected", [
    (1793585400, datetime(2026, 11, 2, 10, 10, tzinfo=BEIJING)),           # epoch seconds
    ("1793585400000", datetime(2026, 11, 2, 10, 10, tzinfo=BEIJING)),      # epoch ms
    ("/Date(1793585400000+0800)/", datetime(2026, 11, 2, 10, 10, tzinfo=BEIJING)),
    ("Mon, 02 Nov 2026 10:10:00 +0800", datetime(2026, 11, 2, 10, 10, tzinfo=BEIJING)),
    ("Mon, 02 Nov 2026 02:10:00 GMT", datetime(2026, 11, 2, 10, 10, tzinfo=BEIJING)),
    ("2026-11-02T02:10:00Z", datetime(2026, 11, 2, 10, 10, tzinfo=BEIJING)),  # RFC 3339
    ("2026-11-01T19:10:00-07:00", datetime(2026, 11, 2, 10, 10, tzinfo=BEIJING)),
    ("Mon Nov 02 10:10:00 +0800 2026", datetime(2026, 11, 2, 10, 10, tzinfo=BEIJING)),
    ("2026-11-02 10:10:00", datetime(2026, 11, 2, 10, 10, tzinfo=BEIJING)),  # Beijing
    ("2026-11-02", datetime(2026, 11, 2, tzinfo=BEIJING)),
    ("2026年11月02日 10:10", datetime(2026, 11, 2, 10, 10, tzinfo=BEIJING)),
])
def test_times_are_timezone_aware(value, expected):
    parsed = parse_time(value)
    assert parsed == expected and parsed.tzinfo is not None


def test_explicit_format_and_zone():
    parsed = parse_time("02/11/2026 10:10", "%d/%m/%Y %H:%M", "Europe/Berlin")
    assert parsed == datetime(2026, 11, 2, 9, 10, tzinfo=timezone.utc)


@pytest.mark.parametrize("value", ["", "昨天", "2026-13-45 10:00:00", None])
def test_unreadable_time_names_the_value(value):
    with pytest.raises(ValueError):
        parse_time(value)
