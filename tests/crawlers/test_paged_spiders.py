"""The paged spiders' decisions page by page, fed saved pages as Scrapy responses: what they
yield, which page they ask for next, where they stop, what they count."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import scrapy
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from crawlers.items import RawReview
from crawlers.spiders.bilibili import BilibiliConfig, BilibiliSpider
from crawlers.spiders.html import HtmlConfig, HtmlSpider
from crawlers.spiders.jsonapi import JsonApiConfig, JsonApiSpider
from crawlers.spiders.weibo import WeiboConfig, WeiboSpider
from tests.crawlers.mockserver import PAGES

BASE = "http://127.0.0.1:9"


def make(spider_class, source, **options):
    return spider_class.from_crawler(get_crawler(spider_class), source=source, **options)


def feed(spider, request: scrapy.Request, filename: str | None = None, body: bytes = b""):
    body = (PAGES / filename).read_bytes() if filename else body
    response = TextResponse(request.url, body=body, encoding="utf-8", request=request)
    output = list(request.callback(response, **request.cb_kwargs))
    return ([o.native_id for o in output if isinstance(o, RawReview)],
            [o for o in output if isinstance(o, scrapy.Request)])


def stat(spider, key: str):
    return spider.crawler.stats.get_value(f"{spider.name}/{key}")


def first_request(spider) -> scrapy.Request:
    return spider.page_request(spider.first_cursor, 1)


def bilibili(**options):
    return make(BilibiliSpider, BilibiliConfig(name="b", type="bilibili", oid="170001",
                                               base_url=BASE), **options)


def test_bilibili_walks_pages_and_stops_before_the_watermark():
    spider = bilibili()
    items, [second] = feed(spider, first_request(spider), "bilibili_pn1.json")
    assert items == ["105", "104", "103"] and "pn=2" in second.url
    items, more = feed(spider, second, "bilibili_pn2.json")
    assert items == ["102", "101"] and more == [] and stat(spider, "stop_reason") == "last_page"
    assert stat(spider, "entry_dropped/missing_id") == 1

    watermark = datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)  # reply 104's time
    spider = bilibili(watermark=watermark)
    assert feed(spider, first_request(spider), "bilibili_pn1_new.json") == (
        ["107", "106", "105", "104"], [])
    assert stat(spider, "stop_reason") == "watermark"


def test_a_failed_later_page_is_skipped_but_a_failed_first_page_ends_the_crawl():
    spider = bilibili()
    _items, [second] = feed(spider, first_request(spider), "bilibili_pn1.json")
    items, [third] = feed(spider, second, body=b"<html>502 Bad Gateway</html>")
    assert items == [] and "pn=3" in third.url and stat(spider, "page_parse_error_count") == 1
    assert stat(spider, "problems")[0].startswith(second.url + ": cannot read the page: "
                                                  "invalid_json")
    spider = bilibili()
    assert feed(spider, first_request(spider), "bilibili_slow_down.json") == ([], [])
    assert stat(spider, "stop_reason") == "first_page_failed"
    assert "code -412: 请求被拦截" in stat(spider, "last_problem")


def test_slow_down_answers_are_recognised():
    spider = bilibili()
    response = TextResponse(BASE, body=(PAGES / "bilibili_slow_down.json").read_bytes())
    assert spider.slow_down_reason(response) == "API code -412"
    ok = TextResponse(BASE, body=(PAGES / "bilibili_pn1.json").read_bytes())
    assert spider.slow_down_reason(ok) is None
    weibo = make(WeiboSpider, WeiboConfig(name="w", type="weibo", mid="1", base_url=BASE))
    refused = (PAGES / "weibo_refused.json").read_bytes()
    assert weibo.slow_down_reason(TextResponse(BASE + "/comments/hotflow?id=1", body=refused)) \
        == "ok: 0"
    later = BASE + "/comments/hotflow?id=1&max_id=5"  # past the first page ok: 0 is the end
    assert weibo.slow_down_reason(TextResponse(later, body=refused)) is None


def test_weibo_rereads_its_pages_whatever_is_known():
    source = WeiboConfig(name="w", type="weibo", mid="5001000000000000", base_url=BASE)
    spider = make(WeiboSpider, source, known_ids=["5001000000000003"],
                  watermark=datetime(2030, 1, 1, tzinfo=timezone.utc))
    items, [second] = feed(spider, first_request(spider), "weibo_page1_new.json")
    assert items == ["5001000000000004", "5001000000000003", "5001000000000001"]
    assert "max_id=138023456789" in second.url
    items, more = feed(spider, second, "weibo_page2_new.json")
    assert items == ["5001000000000002", "5001000000000005"] and more == []
    refused = (PAGES / "weibo_refused.json").read_bytes()
    assert feed(spider, second, body=refused) == ([], [])  # ok: 0 past page 1 ends the list
    assert stat(spider, "page_parse_error_count") is None


def test_weibo_rereads_no_more_than_max_pages():
    source = WeiboConfig(name="w", type="weibo", mid="5001000000000000", base_url=BASE,
                         max_pages=1)
    spider = make(WeiboSpider, source)
    assert feed(spider, first_request(spider), "weibo_page1.json")[1] == []
    assert stat(spider, "stop_reason") == "max_pages"


def test_html_follows_next_links_but_not_to_itself():
    source = HtmlConfig(name="f", type="html", url="/reviews", base_url=BASE, item="li.review",
                        next_page="a.next", fields={"text": "div.body", "id": "::attr(id)"})
    spider = make(HtmlSpider, source)
    items, [second] = feed(spider, first_request(spider), "html_list1.html")
    assert items == ["review-903", "review-902"] and second.url == BASE + "/reviews?page=2"
    looping = (PAGES / "html_list1.html").read_bytes().replace(b"/reviews?page=2", b"/reviews")
    assert feed(spider, first_request(spider), body=looping)[1] == []


def test_jsonapi_cursor_pagination():
    source = JsonApiConfig(name="a", type="jsonapi", url="/api?size=2", base_url=BASE,
                           items="items", fields={"text": "t", "id": "id"},
                           pagination="cursor", cursor_param="after", next_cursor="next")
    spider = make(JsonApiSpider, source)
    request = first_request(spider)
    assert request.url == BASE + "/api?size=2"
    body = b'{"items": [{"id": "a1", "t": "\xe5\xa5\xbd"}], "next": "c2"}'
    items, [second] = feed(spider, request, body=body)
    assert items == ["a1"] and second.url == BASE + "/api?size=2&after=c2"
    assert feed(spider, second, body=b'{"items": [{"id": "a0", "t": "ok"}], "next": null}') \
        == (["a0"], [])


def test_bilibili_cursor_api_follows_next_offset():
    source = BilibiliConfig(name="b", type="bilibili", oid="170001", base_url=BASE, api="cursor")
    spider = make(BilibiliSpider, source)
    request = first_request(spider)
    assert "/x/v2/reply/wbi/main?" in request.url and "mode=2" in request.url
    assert "pagination_str=%7B%22offset%22%3A%22%22%7D" in request.url
    items, [following] = feed(spider, request, "bilibili_cursor.json")
    assert items == ["105"]
    assert following.cb_kwargs["cursor"] == '{"type":3,"direction":1,"Data":{"cursor":104}}'


def test_jsonapi_post_puts_the_page_in_the_json_body():
    source = JsonApiConfig(name="a", type="jsonapi", url="/api/list", base_url=BASE,
                           method="POST", body={"poi": 7, "size": 2}, page_param="pageIndex",
                           items="items", fields={"text": "t"})
    spider = make(JsonApiSpider, source)
    request = first_request(spider)
    assert (request.method, request.url) == ("POST", BASE + "/api/list")
    assert json.loads(request.body) == {"poi": 7, "size": 2, "pageIndex": 1}
    _items, [second] = feed(spider, request, body=b'{"items": [{"t": "ok"}]}')
    assert json.loads(second.body)["pageIndex"] == 2 and second.method == "POST"
