"""The pipeline steps, each built by ``from_crawler`` on a real Scrapy crawler, working on the
real SQLite review store and the shipped NLP model."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawlers.checkpoints import WATERMARK_IDS_KEY, WATERMARK_KEY
from crawlers.items import RawReview
from crawlers.pipelines.dedupe import DedupePipeline
from crawlers.pipelines.enrich import EnrichPipeline
from crawlers.pipelines.store import StorePipeline
from crawlers.pipelines.validate import ValidatePipeline
from crawlers.settings import SharedRuntime
from models.review import Sentiment
from models.store import ReviewQuery

T0 = datetime(2026, 11, 1, 19, 30, 5, tzinfo=timezone(timedelta(hours=-7)))


def raw(native_id: str = "1", text: str = "更新后发热严重[怒]", **values) -> RawReview:
    values.setdefault("published_at", T0)
    return RawReview(source="demo-appstore", platform="appstore", native_id=native_id,
                     text=text, author=values.pop("author", "夜猫"), rating=values.pop("rating", 1.0),
                     **values)


def analysed(item: RawReview, entities=("yunque", "yunque-x5")):
    """What the enrich step would hand on: a Review with matched entities and a sentiment."""
    review = item.to_review(entities)
    review.sentiment = Sentiment("negative", -0.8, "test")
    review.tokens = ["更新", "发热", "严重"]
    return review


@pytest.fixture
def crawler(runtime):
    return get_crawler(settings_dict={"KOUBEI_RUNTIME": SharedRuntime(runtime),
                                      "KOUBEI_STORE_BATCH_SIZE": 2})


def test_validate_removes_control_characters_and_keeps_html_as_text(crawler):
    step = ValidatePipeline.from_crawler(crawler)
    item = step.process_item(raw(text="  <b>好用</b>\x00\x07 <script>alert(1)</script>\r\n第二行\t[赞] ",
                                 author="小\x1b鱼\n", title="\x7f标题"))
    assert item.text == "<b>好用</b> <script>alert(1)</script>\n第二行\t[赞]"
    assert item.author == "小鱼" and item.title == "标题"


def test_validate_caps_a_100000_character_review(crawler):
    step = ValidatePipeline.from_crawler(crawler)
    item = step.process_item(raw(text="差" * 100_000))
    assert len(item.text) == 20_000
    assert item.extra["text_truncated_from"] == 100_000
    assert crawler.stats.get_value("koubei/text_truncated") == 1


@pytest.mark.parametrize("item, reason", [
    (raw(text="\x00 \x01\n "), "empty_text"),
    (raw(rating=7.0), "invalid_rating"),
    (raw(published_at=datetime(2026, 11, 1, 12, 0)), "no_time"),
])
def test_validate_drops_with_a_counted_reason(crawler, item, reason):
    step = ValidatePipeline.from_crawler(crawler)
    with pytest.raises(DropItem, match=reason):
        step.process_item(item)
    assert crawler.stats.get_value(f"koubei/dropped/{reason}") == 1


def test_dedupe_drops_duplicates_within_a_crawl(crawler):
    step = DedupePipeline.from_crawler(crawler)
    assert step.process_item(raw("1")) is not None
    with pytest.raises(DropItem, match="duplicate"):
        step.process_item(raw("1"))
    assert crawler.stats.get_value("koubei/dropped/duplicate") == 1


def test_dedupe_drops_unchanged_stored_reviews_and_passes_changed_ones(crawler, runtime):
    runtime.store.upsert([analysed(raw("1")), analysed(raw("2"))])
    step = DedupePipeline.from_crawler(crawler)
    with pytest.raises(DropItem, match="unchanged"):
        step.process_item(raw("1"))
    edited = step.process_item(raw("2", text="更新后发热严重，客服也不回[怒]"))
    assert edited.native_id == "2"
    assert step.process_item(raw("3")).native_id == "3"
    assert crawler.stats.get_value("koubei/unchanged") == 1
    assert crawler.stats.get_value(WATERMARK_KEY) == T0


def test_dedupe_keeps_the_stored_time_of_a_review_without_time(crawler, runtime):
    runtime.store.upsert([analysed(raw("1", extra={"published_at_estimated": True}))])
    later = T0 + timedelta(hours=3)
    step = DedupePipeline.from_crawler(crawler)
    with pytest.raises(DropItem, match="unchanged"):
        step.process_item(raw("1", published_at=later, extra={"published_at_estimated": True}))
    next_crawl = DedupePipeline.from_crawler(crawler)
    changed = next_crawl.process_item(raw("1", text="改了", published_at=later,
                                          extra={"published_at_estimated": True}))
    assert changed.published_at == T0
    assert crawler.stats.get_value(WATERMARK_KEY) is None  # estimated times never count


def test_enrich_analyses_reviews_arriving_together_in_one_batch(crawler):
    step = EnrichPipeline.from_crawler(crawler)
    items = [raw(str(i), text=f"第{i}条：雲雀X5更新後發熱嚴重[怒]") for i in range(30)]
    items.append(raw("good", text="云雀X5拍照很清晰，客服也很耐心👍"))

    async def arrive_together():
        return await asyncio.gather(*(step.process_item(item) for item in items))
    reviews = asyncio.run(arrive_together())
    assert crawler.stats.get_value("koubei/enrich_batches") == 1
    assert [r.native_id for r in reviews] == [item.native_id for item in items]
    assert all(r.sentiment is not None and r.tokens for r in reviews)
    assert reviews[0].script == "zh-Hant" and reviews[-1].script == "zh-Hans"
    assert {"yunque", "yunque-x5"} <= set(reviews[0].entities)  # source's and matched


def test_store_writes_in_batches_and_flushes_at_close(crawler, runtime):
    step = StorePipeline.from_crawler(crawler)
    count = lambda: runtime.store.count(ReviewQuery(sources=("demo-appstore",)))[None]  # noqa: E731
    step.process_item(analysed(raw("1", published_at=T0)))
    assert count() == 0
    step.process_item(analysed(raw("2", published_at=T0 + timedelta(seconds=9))))
    assert count() == 2
    step.process_item(analysed(raw("3", published_at=T0 + timedelta(seconds=9))))
    step.close_spider()
    assert count() == 3
    assert crawler.stats.get_value("koubei/new") == 3
    assert crawler.stats.get_value(WATERMARK_KEY) == T0 + timedelta(seconds=9)
    assert crawler.stats.get_value(WATERMARK_IDS_KEY) == ["2", "3"]


def test_a_pages_reviews_are_stored_while_the_crawl_waits_for_its_next_page(runtime):
    crawler = get_crawler(settings_dict={"KOUBEI_RUNTIME": SharedRuntime(runtime)})
    step = StorePipeline.from_crawler(crawler)  # batches of 100: a page is fewer
    count = lambda: runtime.store.count(ReviewQuery(sources=("demo-appstore",)))[None]  # noqa: E731
    stored = []
    runtime.stored_hooks.append(lambda _runtime, reviews: stored.append(len(reviews)))

    async def a_page_then_the_wait_for_the_next():
        for native_id in ("1", "2"):
            step.process_item(analysed(raw(native_id)))
        for _ in range(100):  # the next page is slow to come; the spider stays open
            if count():
                break
            await asyncio.sleep(0.1)
        return count()
    assert asyncio.run(a_page_then_the_wait_for_the_next()) == 2
    assert stored == [2]  # one batch, handed to the stored hooks (a crisis check) at once
    step.close_spider()
    assert crawler.stats.get_value("koubei/new") == 2 and stored == [2]


def test_store_counts_updates_and_unchanged(crawler, runtime):
    runtime.store.upsert([analysed(raw("1")), analysed(raw("2"))])
    step = StorePipeline.from_crawler(crawler)
    step.process_item(analysed(raw("1")))
    step.process_item(analysed(raw("2", text="改过的评论")))
    step.close_spider()
    assert crawler.stats.get_value("koubei/updated") == 1
    assert crawler.stats.get_value("koubei/unchanged") == 1
    assert runtime.store.get(raw("2").id).text == "改过的评论"


def test_store_failure_is_counted_not_raised(crawler, runtime):
    step = StorePipeline.from_crawler(crawler)
    runtime.store.close()
    for leftover in runtime.home.glob("reviews.db*"):
        leftover.unlink()
    (runtime.home / "reviews.db").mkdir()  # the database file is gone: writes must fail
    step.process_item(analysed(raw("1")))
    step.close_spider()
    assert crawler.stats.get_value("koubei/store_error_count") == 1
    assert "cannot store 1 reviews" in crawler.stats.get_value("koubei/store_error")
    assert crawler.stats.get_value(WATERMARK_KEY) is None


def test_a_dropped_duplicate_is_logged_as_one_line(runtime):
    from scrapy import Spider
    from scrapy.utils.log import logformatter_adapter
    from scrapy.utils.misc import load_object

    from crawlers.settings import process_settings
    settings = process_settings()
    crawler = get_crawler(settings_dict={"LOG_FORMATTER": settings["LOG_FORMATTER"],
                                         "KOUBEI_RUNTIME": SharedRuntime(runtime)})
    spider = Spider(name="demo-appstore")
    spider.crawler = crawler
    formatter = load_object(settings["LOG_FORMATTER"]).from_crawler(crawler)
    step = DedupePipeline.from_crawler(crawler)
    item = raw("7", text="第一行\n第二行：更新后发热严重")
    step.process_item(item)
    with pytest.raises(DropItem) as dropped:
        step.process_item(item)
    level, message, args = logformatter_adapter(formatter.dropped(item, dropped.value, None,
                                                                  spider))
    line = message % args
    assert line == "Dropped: duplicate: review 7 twice in one crawl"
    assert "\n" not in line and "发热" not in line
