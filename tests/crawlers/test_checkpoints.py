"""Crawl checkpoints in the real state database: watermark moves forward only, ids at the
watermark accumulate, broken/ok transitions keep ``broken_since``."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawlers.checkpoints import (
    WATERMARK_IDS_KEY,
    WATERMARK_KEY,
    load_checkpoint,
    note_persisted,
    record_failure,
    record_success,
)
from tests.factories import make_review

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)


def test_new_source_has_an_empty_checkpoint(runtime):
    checkpoint = load_checkpoint(runtime.state, "demo-appstore")
    assert checkpoint.status == "new" and checkpoint.watermark is None
    assert checkpoint.recent_ids == ()


def test_success_moves_the_watermark_forward_only(runtime):
    record_success(runtime.state, "s", {"new": 3}, T0, ["a", "b"], at=T0)
    record_success(runtime.state, "s", {"new": 0}, T0 - timedelta(minutes=5), ["old"], at=T0)
    checkpoint = load_checkpoint(runtime.state, "s")
    assert checkpoint.watermark == T0 and checkpoint.recent_ids == ("a", "b")
    record_success(runtime.state, "s", {"new": 1}, T0, ["c"], at=T0)
    assert load_checkpoint(runtime.state, "s").recent_ids == ("a", "b", "c")
    record_success(runtime.state, "s", {"new": 1}, T0 + timedelta(seconds=1), ["d"], at=T0)
    checkpoint = load_checkpoint(runtime.state, "s")
    assert checkpoint.watermark == T0 + timedelta(seconds=1) and checkpoint.recent_ids == ("d",)
    assert checkpoint.status == "ok" and checkpoint.last_counts == {"new": 1}


def test_failure_marks_broken_and_keeps_since_and_watermark(runtime):
    record_success(runtime.state, "s", {"new": 2}, T0, ["a"], at=T0)
    record_failure(runtime.state, "s", "cannot reach the source", at=T0 + timedelta(minutes=1))
    record_failure(runtime.state, "s", "every page failed: HTTP 502", at=T0 + timedelta(minutes=2))
    checkpoint = load_checkpoint(runtime.state, "s")
    assert checkpoint.status == "broken"
    assert checkpoint.broken_since == T0 + timedelta(minutes=1)
    assert checkpoint.last_error == "every page failed: HTTP 502"
    assert checkpoint.watermark == T0 and checkpoint.last_success_at == T0
    record_success(runtime.state, "s", {"new": 0}, None, [], at=T0 + timedelta(minutes=3))
    checkpoint = load_checkpoint(runtime.state, "s")
    assert checkpoint.status == "ok" and checkpoint.broken_since is None
    assert checkpoint.last_error is None and checkpoint.watermark == T0


def test_note_persisted_tracks_newest_time_and_its_ids():
    stats = MemoryStatsCollector(get_crawler())
    note_persisted(stats, make_review(native_id="a", published_at=T0))
    note_persisted(stats, make_review(native_id="b", published_at=T0 + timedelta(seconds=5)))
    note_persisted(stats, make_review(native_id="c", published_at=T0 + timedelta(seconds=5)))
    note_persisted(stats, make_review(native_id="d", published_at=T0 + timedelta(hours=1),
                                      extra={"published_at_estimated": True}))
    assert stats.get_value(WATERMARK_KEY) == T0 + timedelta(seconds=5)
    assert stats.get_value(WATERMARK_IDS_KEY) == ["b", "c"]
