"""The generic source types on saved pages: RSS 2.0, Atom, HTML by selectors (CSS and XPath),
JSON APIs by JMESPath; a 2 MB page; a changed markup; a single object where a list is expected."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.spiders import html_page, json_api, rss_feed
from crawlers.spiders.configured_review import build_review
from crawlers.spiders.html import HtmlConfig
from crawlers.spiders.jsonapi import JsonApiConfig
from tests.crawlers.mockserver import PAGES

BEIJING = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 5, tzinfo=timezone.utc)
FORUM = HtmlConfig(name="forum", type="html", url="https://bbs.example.cn/reviews",
                   item="li.review", next_page="a.next", time_format="%Y/%m/%d %H:%M",
                   fields={"id": "::attr(id)", "author": "a.user::text", "text": "div.body",
                           "rating": "span.score::text", "time": "xpath:.//time/@datetime",
                           "link": "a.permalink::attr(href)"})
API = JsonApiConfig(name="api", type="jsonapi", url="https://api.example.cn/reviews",
                    items="data.list", rating_scale=10, stop="!(data.hasMore)",
                    fields={"id": "reviewId", "author": "user.nick", "text": "body",
                            "rating": "stars", "time": "createdAt", "likes": "stats.up",
                            "link": "permalink"})


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def test_rss2_items():
    feed = rss_feed.parse_feed(page("rss_feed.xml"))
    assert feed.kind == "rss" and feed.next_url is None
    reviews = [rss_feed.to_raw_review(e, feed.kind, "rss", NOW) for e in feed.entries]
    assert [r.native_id for r in reviews] == [f"tag:bbs.example.cn,2026:{n}"
                                              for n in (7003, 7002, 7001)]
    first = reviews[0]
    assert first.text == "用了一周充电器就坏了\n[怒] 已投诉"  # content:encoded, alt text kept
    assert (first.author, first.title) == ("阿强", "充电器坏了")
    assert first.url == "https://bbs.example.cn/t/7003"
    assert first.published_at == datetime(2026, 11, 2, 10, 0, tzinfo=BEIJING)
    assert reviews[1].published_at == datetime(2026, 11, 1, 14, 0, tzinfo=timezone.utc)


def test_atom_entries_and_next_link():
    feed = rss_feed.parse_feed(page("atom_feed.xml"))
    assert feed.kind == "atom" and feed.next_url == "/comments.atom?page=2"
    newest, older = [rss_feed.to_raw_review(e, feed.kind, "a", NOW) for e in feed.entries]
    assert (newest.native_id, newest.text, newest.author) == ("urn:comment:8002",
                                                               "新版本很穩定", "測試者")
    assert newest.published_at == datetime(2026, 11, 2, 9, 30, tzinfo=BEIJING)  # published
    assert older.text == "更新后登录不了"  # summary when there is no content
    assert older.published_at == datetime(2026, 11, 1, 23, 0, tzinfo=timezone.utc)


def test_feed_traps():
    with pytest.raises(PageFormatError, match="not_a_feed"):
        rss_feed.parse_feed(b"<html><body>maintenance</body></html>")
    with pytest.raises(PageFormatError, match="invalid_xml"):
        rss_feed.parse_feed(b"")
    no_time = page("rss_feed.xml").replace(b"<pubDate>Mon, 02 Nov 2026 10:00:00 +0800</pubDate>",
                                           b"<pubDate>\xe6\x98\xa8\xe5\xa4\xa9</pubDate>")
    feed = rss_feed.parse_feed(no_time)
    review = rss_feed.to_raw_review(feed.entries[0], "rss", "r", NOW)
    assert review.published_at == NOW and review.extra == {
        "published_at_estimated": True, "published_at_raw": "昨天"}
    # an entity that would read a local file is not resolved
    xxe = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<rss version="2.0"><channel><item><guid>1</guid><description>&x;ok</description>'
           b'</item></channel></rss>')
    entries = rss_feed.parse_feed(xxe).entries
    assert "root:" not in rss_feed.to_raw_review(entries[0], "rss", "r", NOW).text


def forum_reviews(body: bytes, source=FORUM):
    listing = html_page.parse_list(body, source.item, source.next_page)
    return listing, [build_review(html_page.field_values(item, source.fields), source,
                                  "bbs.example.cn", "https://bbs.example.cn/reviews", NOW)
                     for item in listing.items]


def test_html_by_css_and_xpath_selectors():
    listing, reviews = forum_reviews(page("html_list1.html"))
    assert listing.next_href == "/reviews?page=2"
    assert [r.native_id for r in reviews] == ["review-903", "review-902"]
    first = reviews[0]
    assert first.text == "续航超出预期 [赞]" and first.author == "数码控" and first.rating == 4.5
    assert first.published_at == datetime(2026, 11, 2, 10, 0, tzinfo=BEIJING)
    assert first.url == "https://bbs.example.cn/reviews/903"
    assert forum_reviews(page("html_list2.html"))[0].next_href is None
    changed, none = forum_reviews(page("html_list_changed.html"))
    assert changed.items == [] and none == []


def test_html_bad_fields_drop_the_entry_with_a_reason():
    body = b'<ul><li class="review" id="r1"><div class="body"></div></li>' \
           b'<li class="review" id="r2"><div class="body">ok</div><time datetime="soon">' \
           b'</time></li></ul>'
    listing = html_page.parse_list(body, FORUM.item, None)
    with pytest.raises(EntryFormatError, match="missing_content"):
        build_review(html_page.field_values(listing.items[0], FORUM.fields), FORUM, "x", "u", NOW)
    with pytest.raises(EntryFormatError, match="bad_time: entry r2"):
        build_review(html_page.field_values(listing.items[1], FORUM.fields), FORUM, "x", "u", NOW)


def test_a_2_mb_page_is_read_whole():
    filler = b"<!-- " + b"x" * (2 * 1024 * 1024) + b" -->"
    body = page("html_list1.html").replace(b"</ul>", filler + page("html_list2.html")
                                           .split(b'<ul class="reviews">')[1].split(b"</ul>")[0]
                                           + b"</ul>")
    assert len(body) > 2 * 1024 * 1024
    _listing, reviews = forum_reviews(body)
    assert [r.native_id for r in reviews] == ["review-903", "review-902", "review-901"]


def api_reviews(body: bytes):
    paths = json_api.compile_paths(API)
    api = json_api.parse_page(body, paths)
    return api, [build_review(json_api.field_values(item, paths), API, "api.example.cn",
                              "https://api.example.cn/reviews", NOW) for item in api.items]


def test_json_api_by_jmespath():
    api, reviews = api_reviews(page("jsonapi_page1.json"))
    assert api.stop is False and [r.native_id for r in reviews] == ["r-3", "r-2"]
    first = reviews[0]
    assert (first.text, first.author, first.rating, first.likes) == ("性价比很高 😊", "张同学",
                                                                      4.0, 3)
    assert first.url == "https://api.example.cn/reviews/r-3"
    assert first.published_at == datetime(2026, 11, 2, 9, 0, tzinfo=BEIJING)
    assert api_reviews(page("jsonapi_page2.json"))[0].stop is True
    single, [only] = api_reviews(page("jsonapi_single.json"))  # an object, not a list
    assert only.native_id == "r-1" and single.stop is True
    assert api_reviews(b'cb({"data": {"list": [], "hasMore": false}})')[0].items == []  # JSONP
    with pytest.raises(PageFormatError, match="no_items: data.list matches nothing"):
        api_reviews(b'{"error": "rate limited"}')
