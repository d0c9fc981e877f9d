"""Record factories for tests: ``make_review(**overrides)`` builds a valid, analysed review."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from models.review import Review, Sentiment

_counter = itertools.count(1)
BASE_TIME = datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing, a Monday


def restart_numbering() -> None:
    """Number reviews from 1 again (the autouse fixture in tests/conftest.py calls this before
    every test), so a test's review times never depend on how many tests ran before it."""
    global _counter
    _counter = itertools.count(1)


def make_review(**overrides) -> Review:
    n = next(_counter)
    label = overrides.pop("label", "positive")
    score = {"negative": -0.8, "neutral": 0.0, "positive": 0.8}[label]
    values = dict(
        source="demo-appstore",
        native_id=f"r{n}",
        text=f"第{n}条评论：手机很好用",
        platform="appstore",
        published_at=BASE_TIME + timedelta(minutes=n),
        crawled_at=BASE_TIME + timedelta(minutes=n, seconds=30),
        author=f"用户{n}",
        rating=5.0,
        entities=["yunque"],
        text_norm=f"第{n}条评论:手机很好用",
        script="zh-Hans",
        sentiment=Sentiment(label, score, "test-model"),
        topics=["功能性能"],
        keywords=["手机", "好用"],
        tokens=["第", str(n), "条", "评论", "手机", "很", "好用"],
    )
    values.update(overrides)
    source, native_id, text = values.pop("source"), values.pop("native_id"), values.pop("text")
    return Review.create(source, native_id, text, **values)
