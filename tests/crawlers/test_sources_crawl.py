"""Real crawls of every site and generic source type against saved real-format pages on the
mock server, all sources in one child process (``crawls_in_child``): the first crawl collects
exactly the expected reviews, the traps on the way (API slow-down codes with HTTP 200, HTTP
412/418/429 with and without Retry-After, a 500 then success, GBK JSONP) cost nothing, a
second crawl after the site adds reviews collects exactly the new ones, nothing is stored twice,
and sources that fail (JD's ``{}``, Weibo's ``ok: 0``, Douban's login wall, a changed markup,
robots.txt) are recorded broken with a reason."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest
import yaml

from crawlers.checkpoints import load_checkpoint
from models.review import review_id
from models.runtime import DEMO_CONFIG
from models.store import ReviewQuery
from tests.crawlers.conftest import FAST
from tests.crawlers.mockserver import MockServer, Reply, saved
from web.jobs import crawls_in_child

# The analyser loads on the first new review and blocks the reactor for seconds on a busy
# machine; AutoThrottle would take that for a slow site and space the next requests out.
OVERRIDES = {**FAST, "KOUBEI_BACKOFF_DELAY": 0.1, "AUTOTHROTTLE_ENABLED": False}
BILI = "/x/v2/reply?" + urlencode({"type": 1, "oid": "170001", "sort": 0, "pn": "{pn}",
                                    "ps": 20, "nohot": 1}).replace("%7Bpn%7D", "{pn}")
DOUBAN = "/subject/1292052/comments?start={start}&limit=20&status=P&sort=time"
JD = ("/comment/productPageComments.action?callback=fetchJSON_comment98&productId={sku}"
      "&score=0&sortType=5&page={page}&pageSize=10")
WEIBO = "/comments/hotflow?id={mid}&mid={mid}"
CTRIP = "/restapi/soa2/13444/json/getCommentCollapseList"
FORUM_FIELDS = {"id": "::attr(id)", "author": "a.user::text", "text": "div.body",
                "rating": "span.score::text", "time": "xpath:.//time/@datetime",
                "link": "a.permalink::attr(href)"}
SOURCES = {
    "bili": {"type": "bilibili", "oid": "170001"},
    "douban": {"type": "douban", "subject_id": "1292052"},
    "jd": {"type": "jd", "sku": "100012043978"},
    "weibo": {"type": "weibo", "mid": "5001000000000000"},
    "ctrip": {"type": "ctrip", "poi_id": "75628"},
    "rss": {"type": "rss", "url": "/feed.xml"},
    "forum": {"type": "html", "url": "/reviews", "item": "li.review", "fields": FORUM_FIELDS,
              "next_page": "a.next", "time_format": "%Y/%m/%d %H:%M"},
    "forum-b": {"type": "html", "url": "/b/reviews", "item": "li.review",
                "fields": FORUM_FIELDS, "time_format": "%Y/%m/%d %H:%M"},
    "api": {"type": "jsonapi", "url": "/api/reviews?size=2", "items": "data.list",
            "fields": {"id": "reviewId", "author": "user.nick", "text": "body",
                       "rating": "stars", "time": "createdAt", "likes": "stats.up",
                       "link": "permalink"}, "rating_scale": 10, "stop": "!(data.hasMore)"},
    "jd-refused": {"type": "jd", "sku": "1"},
    "weibo-refused": {"type": "weibo", "mid": "1"},
    "douban-login": {"type": "douban", "subject_id": "1", "kind": "book"},
    "blocked": {"type": "rss", "url": "/private/feed.xml"},
    "unblocked": {"type": "rss", "url": "/private/feed.xml", "obey_robots": False},
}
FIRST = {
    "bili": ["105", "104", "103", "102", "101"],
    "douban": ["3300000003", "3300000002", "3300000001", "3300000000"],
    "jd": ["19000000003", "19000000002", "19000000001"],
    "weibo": ["5001000000000003", "5001000000000001", "5001000000000002"],
    "ctrip": ["300003", "300002", "300001"],
    "rss": [f"tag:bbs.example.cn,2026:{n}" for n in (7003, 7002, 7001)],
    "forum": ["review-903", "review-902", "review-901"],
    "forum-b": ["review-903", "review-902"],
    "api": ["r-3", "r-2", "r-1"],
    "unblocked": ["urn:comment:8002", "urn:comment:8001"],
}
ADDED = {"bili": ["107", "106"], "douban": ["3300000004"], "jd": ["19000000004"],
         "weibo": ["5001000000000004", "5001000000000005"], "ctrip": ["300004"],
         "rss": ["tag:bbs.example.cn,2026:7004"], "forum": ["review-904"], "api": ["r-4"]}


def serve_first_state(server: MockServer) -> None:
    slow_down = saved("bilibili_slow_down.json")  # HTTP 200, code -412
    server.route(BILI.format(pn=1), slow_down, saved("bilibili_pn1.json"))
    server.route(BILI.format(pn=2), Reply(500, b"oops"), saved("bilibili_pn2.json"))
    server.page(DOUBAN.format(start=0), "douban_page1.html")
    server.route(DOUBAN.format(start=20), Reply(429, b"", {"Retry-After": "1"}),
                 saved("douban_page2.html"))
    sku = "100012043978"
    server.page(JD.format(sku=sku, page=0), "jd_page0.jsonp")
    server.route(JD.format(sku=sku, page=1), Reply(418, b""), saved("jd_page1.jsonp"))
    server.page(WEIBO.format(mid="5001000000000000") + "&max_id_type=0", "weibo_page1.json")
    server.page(WEIBO.format(mid="5001000000000000") + "&max_id=138023456789&max_id_type=0",
                "weibo_page2.json")
    server.route_post(CTRIP, lambda body: body["arg"]["pageIndex"], {
        1: [saved("ctrip_page1.json")], 2: [Reply(412, b""), saved("ctrip_page2.json")]})
    server.page("/feed.xml", "rss_feed.xml")
    server.page("/reviews", "html_list1.html")
    # The last forum page is over 2 MB and has a broken UTF-8 byte sequence in one author name.
    last = saved("html_list2.html")
    body = last.body.replace(b"</ul>", b"<!-- " + b"x" * 2_100_000 + b" --></ul>")
    server.route("/reviews?page=2", Reply(200, body.replace("老用户".encode(),
                                                            "老用户".encode()[:-1]), last.headers))
    server.page("/b/reviews", "html_list1.html")
    server.page("/api/reviews?size=2&page=1", "jsonapi_page1.json")
    server.page("/api/reviews?size=2&page=2", "jsonapi_page2.json")
    server.page(JD.format(sku="1", page=0), "jd_refused.json")
    server.page(WEIBO.format(mid="1") + "&max_id_type=0", "weibo_refused.json")
    server.page("/subject/1/comments?start=0&limit=20&status=P&sort=time", "douban_login.html")
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private/\n"))
    server.page("/private/feed.xml", "atom_feed.xml")


def serve_second_state(server: MockServer) -> None:
    server.page(BILI.format(pn=1), "bilibili_pn1_new.json")
    server.page(DOUBAN.format(start=0), "douban_page1_new.html")
    server.page(JD.format(sku="100012043978", page=0), "jd_page0_new.jsonp")
    server.page(JD.format(sku="100012043978", page=1), "jd_page1_new.jsonp")
    server.page(WEIBO.format(mid="5001000000000000") + "&max_id_type=0", "weibo_page1_new.json")
    server.page(WEIBO.format(mid="5001000000000000") + "&max_id=138023456789&max_id_type=0",
                "weibo_page2_new.json")
    server.route_post(CTRIP, lambda body: body["arg"]["pageIndex"], {
        1: [saved("ctrip_page1_new.json")], 2: [saved("ctrip_page2_new.json")]})
    server.page("/feed.xml", "rss_feed_new.xml")
    server.page("/reviews", "html_list1_new.html")
    server.page("/b/reviews", "html_list_changed.html")
    server.page("/api/reviews?size=2&page=1", "jsonapi_page1_new.json")


@pytest.fixture
def sites(tmp_path):
    with MockServer() as server:
        data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
        data["sources"] = [{"name": name, "base_url": server.url, "entities": ["yunque"], **keys}
                           for name, keys in SOURCES.items()]
        data["rules"] = []
        config = tmp_path / "koubei.yaml"
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        serve_first_state(server)
        yield server, config


def stored(runtime, source: str) -> list[str]:
    return sorted(r.native_id for r in runtime.store.iter_reviews(ReviewQuery(sources=(source,))))


def test_every_source_type_first_crawl_then_only_new_reviews(sites, home, open_home):
    server, config = sites
    names = list(SOURCES)
    reports = dict(zip(names, crawls_in_child(config, home, names, timeout=180,
                                              overrides=OVERRIDES)))
    runtime = open_home(config)
    for name, expected in FIRST.items():
        assert reports[name].ok, (name, reports[name].error, reports[name].problems)
        assert reports[name].new == len(expected), (name, reports[name])
        assert stored(runtime, name) == sorted(expected), name
        assert load_checkpoint(runtime.state, name).status == "ok"
    assert reports["bili"].dropped == 1  # the reply without rpid, named in the problems
    assert any("reply 2: missing_id" in p for p in reports["bili"].problems)
    assert server.requested_paths().count(BILI.format(pn=1)) == 2  # -412, then backed off
    assert server.requested_paths().count(BILI.format(pn=2)) == 2  # 500, then retried
    assert any(b'"pageIndex": 2' in body for body in server.bodies)

    for name, fragment in [("jd-refused", "JD answered {}"), ("weibo-refused", "ok: 0"),
                           ("douban-login", "login wall"), ("blocked", "robots.txt")]:
        assert not reports[name].ok and fragment in reports[name].error, reports[name]
        checkpoint = load_checkpoint(runtime.state, name)
        assert checkpoint.status == "broken" and fragment in checkpoint.last_error
    assert server.requested_paths().count(WEIBO.format(mid="1") + "&max_id_type=0") == 3
    check_fields(runtime, server)

    serve_second_state(server)
    names = list(FIRST)
    reports = dict(zip(names, crawls_in_child(config, home, names, timeout=180,
                                              overrides=OVERRIDES)))
    for name, added in ADDED.items():
        assert reports[name].ok, (name, reports[name].error)
        assert (reports[name].new, reports[name].updated) == (len(added), 0), (name, reports[name])
        assert stored(runtime, name) == sorted(FIRST[name] + added), name
    assert not reports["forum-b"].ok and "format changed" in reports["forum-b"].error
    assert load_checkpoint(runtime.state, "forum-b").status == "broken"
    assert stored(runtime, "forum-b") == sorted(FIRST["forum-b"])


def check_fields(runtime, server: MockServer) -> None:
    def get(source: str, native_id: str):
        return runtime.store.get(review_id(source, native_id))

    beijing = timezone(timedelta(hours=8))
    bili = get("bili", "105")
    assert bili.text == "更新以后一直闪退[笑哭]，客服也不回" and bili.author == "云雀用户A"
    assert (bili.likes, bili.replies, bili.platform) == (12, 2, "bilibili")
    assert bili.published_at == datetime(2026, 11, 2, 10, 10, tzinfo=beijing)
    weibo = get("weibo", "5001000000000003")
    assert weibo.text == "退款拖了两周[怒]@云雀客服 给个说法" and weibo.likes == 50
    assert weibo.published_at == datetime(2024, 3, 2, 10, 20, 30, tzinfo=beijing)
    jd = get("jd", "19000000002")
    assert jd.text == "用了两天发热严重，…有点失望" and jd.rating == 2.0
    assert jd.author == "j***8" and jd.extra["follow_up"] == "客服给换了新机，问题解决"
    assert jd.published_at == datetime(2026, 11, 1, 9, 30, tzinfo=beijing)
    ctrip = get("ctrip", "300001")
    assert ctrip.rating == 4.5 and ctrip.likes == 10 and ctrip.author == "E05***88"
    assert ctrip.published_at == datetime(2026, 11, 1, 10, 10, tzinfo=beijing)
    old = get("douban", "3300000001")
    assert old.text == "原著党表示还原度很高" and old.rating is None
    assert old.published_at == datetime(2026, 10, 28, tzinfo=beijing)
    assert get("douban", "3300000000").rating == 4.0  # book markup: user-stars allstar40
    forum = get("forum", "review-903")
    assert forum.text == "续航超出预期 [赞]" and forum.rating == 4.5 and forum.author == "数码控"
    assert forum.url == server.url + "/reviews/903"
    assert forum.published_at == datetime(2026, 11, 2, 10, 0, tzinfo=beijing)
    from_big_page = get("forum", "review-901")
    assert from_big_page.text == "系统流畅" and from_big_page.author.startswith("老用\ufffd")
    api = get("api", "r-3")
    assert api.text == "性价比很高 😊" and api.rating == 4.0 and api.likes == 3
    assert api.url == server.url + "/reviews/r-3"
    for review in (bili, weibo, jd, ctrip, old, forum, api):
        assert review.published_at.utcoffset() == timedelta(0)  # stored in UTC
        assert "yunque" in review.entities and review.sentiment is not None
