"""Deterministic review series with daily/weekly seasonality for rule tests.

``seasonal_series(store, start, end, rate)`` stores, for each hour, ``round(rate(hour))``
reviews spread evenly over the hour, a ``negative_share`` of them negative (every k-th one),
the rest positive. Rates are per hour and may depend on the local (Beijing) hour.
"""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from models.review import Review, Sentiment

_ids = itertools.count(1)


def make_review(label: str = "positive", **values) -> Review:
    """Like ``tests.factories.make_review`` but numbered on its own: thousands of series
    reviews must not move the factory's clock (other tests rely on its published_at)."""
    n = next(_ids)
    text = values.pop("text", f"第{n}条")
    values.setdefault("entities", ["yunque"])
    values.setdefault("topics", ["功能性能"])
    values.setdefault("author", f"用户s{n}")
    values.setdefault("platform", "appstore")
    values.setdefault("url", f"https://example.com/series/{n}")
    values.setdefault("text_norm", text)
    score = {"negative": -0.8, "neutral": 0.0, "positive": 0.8}[label]
    return Review.create(values.pop("source", "demo-appstore"), f"s{n}", text,
                         sentiment=Sentiment(label, score, "test-model"), **values)

BEIJING = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)


def evening_peak(night: float = 2, peak: float = 120) -> Callable[[datetime], float]:
    """Quiet all day, a sharp peak from 20:00 to 22:00 Beijing time."""
    return lambda at: peak if 20 <= at.astimezone(BEIJING).hour < 22 else night


def seasonal_series(store, start: datetime, end: datetime, rate: Callable[[datetime], float],
                    negative_share: float = 0.25, tokens=("电池", "续航", "一般"),
                    rating: Callable[[str], float | None] | None = None, **values) -> int:
    reviews, hour = [], start
    every = round(1 / negative_share) if negative_share else 0
    while hour < end:
        n = round(rate(hour))
        for i in range(n):
            at = hour + HOUR * (i + 0.5) / n
            if at >= end:
                break
            label = "negative" if every and i % every == 0 else "positive"
            stars = rating(label) if rating else (1.0 if label == "negative" else 5.0)
            reviews.append(make_review(label=label, published_at=at, tokens=list(tokens),
                                       text=f"{label} {at.isoformat()}", rating=stars,
                                       **values))
        hour += HOUR
    store.upsert(reviews)
    return len(reviews)


def burst(store, count: int, end: datetime, span: timedelta, label: str = "negative",
          tokens=("屏幕", "发热", "烫手"), rating: float | None = 1.0, **values) -> list:
    reviews = [make_review(label=label, published_at=end - span + span * (i + 0.5) / count,
                           tokens=list(tokens), text=f"屏幕发热烫手 {label} {i}",
                           rating=rating, **values)
               for i in range(count)]
    store.upsert(reviews)
    return reviews
