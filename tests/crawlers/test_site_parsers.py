"""The site parsers on saved real-format pages and on each trap of docs/sources.md: API error codes
with HTTP 200, JSONP, ``{}``, a login wall, old markup, broken UTF-8, malformed entries."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from parsel import Selector

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.spiders import bilibili_api, ctrip_api, douban_page, jd_api, weibo_api
from tests.crawlers.mockserver import PAGES

BEIJING = timezone(timedelta(hours=8))


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def test_bilibili_page_number_api():
    replies = bilibili_api.parse_replies(page("bilibili_pn1.json"))
    assert replies.page_count == 2  # count 25, 20 per page
    reviews = [bilibili_api.to_raw_review(r, "b", "https://www.bilibili.com/video/av1")
               for r in replies.replies]
    assert [r.native_id for r in reviews] == ["105", "104", "103"]
    first = reviews[0]
    assert (first.author, first.likes, first.replies) == ("云雀用户A", 12, 2)
    assert first.published_at == datetime(2026, 11, 2, 10, 10, tzinfo=BEIJING)
    assert first.extra == {"location": "上海", "author_id": "5105"}
    assert first.url == "https://www.bilibili.com/video/av1#reply105"
    with pytest.raises(EntryFormatError, match="missing_id"):
        bilibili_api.to_raw_review(bilibili_api.parse_replies(page("bilibili_pn2.json"))
                                   .replies[2], "b", "u")


def test_bilibili_cursor_api_and_error_codes():
    cursor = bilibili_api.parse_replies(page("bilibili_cursor.json"))
    assert cursor.is_end is False and json.loads(cursor.next_offset)["Data"]["cursor"] == 104
    with pytest.raises(PageFormatError, match=r"api_error: code -412: 请求被拦截"):
        bilibili_api.parse_replies(page("bilibili_slow_down.json"))
    with pytest.raises(PageFormatError, match="no_envelope"):
        bilibili_api.parse_replies(b"{}")
    empty = json.dumps({"code": 0, "message": "0", "data": {"replies": None}}).encode()
    assert bilibili_api.parse_replies(empty).replies == []


def test_weibo_comments_html_text_and_refusals():
    comments = weibo_api.parse_comments(page("weibo_page1.json"))
    assert comments.max_id == "138023456789"
    first = weibo_api.to_raw_review(comments.comments[0], "w", "https://m.weibo.cn/detail/1")
    assert first.text == "退款拖了两周[怒]@云雀客服 给个说法"
    assert (first.likes, first.replies, first.author) == (50, 3, "维权中")
    assert first.published_at == datetime(2024, 3, 2, 10, 20, 30, tzinfo=BEIJING)
    assert weibo_api.parse_comments(page("weibo_page2.json")).max_id is None  # max_id 0
    with pytest.raises(PageFormatError, match="api_refused: ok: 0 请求过于频繁"):
        weibo_api.parse_comments(page("weibo_refused.json"))
    with pytest.raises(PageFormatError, match="empty_answer"):
        weibo_api.parse_comments(b"{}")


def test_jd_jsonp_in_gbk_and_the_empty_answer():
    text = page("jd_page0.jsonp").decode("gbk")
    assert text.startswith("fetchJSON_comment98(")
    comments = jd_api.parse_comments(text)
    assert comments.max_page == 2
    review = jd_api.to_raw_review(comments.comments[1], "jd", "100012043978")
    assert review.text == "用了两天发热严重，…有点失望" and review.rating == 2.0
    assert review.extra["follow_up"] == "客服给换了新机，问题解决"
    assert review.published_at == datetime(2026, 11, 1, 9, 30, tzinfo=BEIJING)
    assert review.url == "https://item.jd.com/100012043978.html"
    with pytest.raises(PageFormatError, match="JD answered {}"):
        jd_api.parse_comments(page("jd_refused.json"))
    with pytest.raises(PageFormatError, match="JD answered {}"):
        jd_api.parse_comments("fetchJSON_comment98({});")
    # a ")" inside a review does not end the anchored wrapper early
    wrapped = 'cb({"comments": [{"id": 1, "content": "好评 :)", "creationTime": "2026-11-01"}]});'
    assert jd_api.parse_comments(wrapped).comments[0]["content"] == "好评 :)"


def test_ctrip_epoch_milliseconds_and_missing_result():
    comments = ctrip_api.parse_comments(page("ctrip_page1.json"))
    assert comments.total == 12
    review = ctrip_api.to_raw_review(comments.items[0], "c", "75628")
    assert review.published_at == datetime(2026, 11, 2, 10, 10, tzinfo=BEIJING)
    assert (review.rating, review.author, review.extra) == (5.0, "_WeChat***", {"location": "上海"})
    with pytest.raises(PageFormatError, match="no_result"):
        ctrip_api.parse_comments(b'{"ResponseStatus": {"Ack": "Failure"}}')


def test_douban_new_and_old_markup():
    first = douban_page.parse_page(page("douban_page1.html"))
    assert first.next_href == "?start=20&limit=20&status=P&sort=time"
    subject = "https://movie.douban.com/subject/1292052/"
    reviews = [douban_page.to_raw_review(item, "d", subject) for item in first.items]
    assert [(r.native_id, r.rating, r.likes) for r in reviews] == [
        ("3300000003", 5.0, 128), ("3300000002", 3.0, 12)]
    assert reviews[0].text == "结尾哭成狗[哭]，年度最佳！" and reviews[0].author == "影迷小王"
    assert reviews[1].text == "节奏拖沓，<b>剧情</b>一般"  # escaped in the page: written so
    assert reviews[1].published_at == datetime(2026, 11, 1, 22, 40, 13, tzinfo=BEIJING)
    old = douban_page.parse_page(page("douban_page2.html"))
    assert old.next_href is None
    unrated, book = [douban_page.to_raw_review(item, "d", subject) for item in old.items]
    assert (unrated.text, unrated.rating) == ("原著党表示还原度很高", None)
    assert unrated.published_at == datetime(2026, 10, 28, tzinfo=BEIJING)  # date only
    assert (book.text, book.rating) == ("書比電影好看", 4.0)  # user-stars allstar40
    with pytest.raises(PageFormatError, match="login wall"):
        douban_page.parse_page(page("douban_login.html"))
    no_time = Selector(text='<div class="comment-item" data-cid="9"><p class="comment-content">'
                            '<span class="short">好</span></p></div>').css("div")[0]
    with pytest.raises(EntryFormatError, match="bad_time"):
        douban_page.to_raw_review(no_time, "d", subject)


def test_broken_utf8_keeps_the_rest_of_the_page():
    body = page("weibo_page1.json").replace("维权中".encode(), "维权中".encode()[:-1])
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    comments = weibo_api.parse_comments(body)
    assert len(comments.comments) == 2 and "\ufffd" in comments.comments[0]["user"]["screen_name"]
    assert comments.comments[1]["user"]["screen_name"] == "小透明"
