"""The App Store spider's decisions page by page, fed saved pages as Scrapy responses (the way
Scrapy's own spider tests work): what it yields, when it asks for the next page, when it stops."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import scrapy
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from crawlers.demo.feed import feed_path
from crawlers.items import RawReview
from crawlers.spiders.appstore import AppStoreConfig, AppStoreSpider
from tests.crawlers.mockserver import PAGES

BASE = "http://127.0.0.1:9"


def spider(**options) -> AppStoreSpider:
    source_keys = {k: options.pop(k) for k in ("max_pages",) if k in options}
    source = AppStoreConfig(name="demo-appstore", type="appstore", app_id="1000000001",
                            base_url=BASE, **source_keys)
    crawler = get_crawler(AppStoreSpider)
    return AppStoreSpider.from_crawler(crawler, source=source, **options)


def parse(s: AppStoreSpider, page: int, filename: str | None = None, body: bytes = b""):
    body = (PAGES / filename).read_bytes() if filename else body
    response = TextResponse(BASE + feed_path("cn", "1000000001", page), body=body,
                            encoding="utf-8")
    output = list(s.parse_page(response, page, page))
    items = [o.native_id for o in output if isinstance(o, RawReview)]
    requests = [o.url for o in output if isinstance(o, scrapy.Request)]
    return items, requests


def stat(s: AppStoreSpider, key: str):
    return s.crawler.stats.get_value(f"appstore/{key}")


def test_first_page_yields_its_reviews_and_asks_for_the_next():
    s = spider()
    assert s.page_url(1) == BASE + feed_path("cn", "1000000001", 1)
    items, requests = parse(s, 1, "appstore_page1.json")
    assert items == ["11000000006", "11000000005", "11000000004"]
    assert requests == [BASE + feed_path("cn", "1000000001", 2)]
    assert stat(s, "metadata_entry_count") == 1 and stat(s, "review_count") == 3


def test_last_page_and_max_pages_end_the_crawl():
    s = spider()
    parse(s, 1, "appstore_page1.json")
    assert parse(s, 3, "appstore_page3.json") == (["11000000001"], [])
    assert stat(s, "stop_reason") == "last_page"
    limited = spider(max_pages=1)
    assert parse(limited, 1, "appstore_page1.json")[1] == []
    assert stat(limited, "stop_reason") == "max_pages"


def test_stops_at_a_known_review():
    s = spider(known_ids=["11000000005"])
    assert parse(s, 1, "appstore_page1.json") == (["11000000006"], [])
    assert stat(s, "stop_reason") == "known_review"


def test_stops_before_reviews_older_than_the_watermark_but_keeps_equal_ones():
    watermark = datetime(2026, 11, 2, 2, 12, 40, tzinfo=timezone.utc)  # review ...005's time
    s = spider(watermark=watermark)
    assert parse(s, 1, "appstore_page1.json") == (["11000000006", "11000000005"], [])
    assert stat(s, "stop_reason") == "watermark"


def test_empty_feed_and_a_short_page_without_last_link_end_the_crawl():
    s = spider()
    assert parse(s, 1, "appstore_empty.json") == ([], [])
    assert stat(s, "stop_reason") == "empty_page"
    single = spider()
    assert parse(single, 1, "appstore_single_entry.json") == (["13000000001"], [])
    assert stat(single, "stop_reason") == "short_page"


def test_a_page_that_does_not_parse_is_counted_and_the_next_page_is_tried():
    s = spider()
    items, requests = parse(s, 1, "appstore_invalid.json")
    assert items == [] and requests == [BASE + feed_path("cn", "1000000001", 2)]
    assert stat(s, "page_parse_error_count") == 1
    assert stat(s, "problems")[0].startswith(
        BASE + feed_path("cn", "1000000001", 1) + ": cannot read the page: invalid_json")
    assert parse(s, 2, body=b"<html>maintenance</html>") == ([], [])  # two in a row: stop
    assert stat(s, "stop_reason") == "failed_pages"


@pytest.mark.parametrize("filename, dropped", [
    ("appstore_missing_fields.json", {"missing_id": 1, "missing_content": 1}),
    ("appstore_changed_format.json", {"not_a_review": 2}),
])
def test_broken_entries_are_counted_by_reason(filename, dropped):
    s = spider()
    parse(s, 1, filename)
    counted = {k.rsplit("/", 1)[1]: v for k, v in s.crawler.stats.get_stats().items()
               if k.startswith("appstore/entry_dropped/")}
    assert counted == dropped
