"""小红书 (``type: xhs``), 抖音 (``type: douyin``) and 大众点评 (``type: dianping``): the parsers
on saved real-format pages, and real crawls against a fixture server. With the user's
session cookie (from the environment, sent as is, never written under the data directory)
the first crawl collects every review and the second exactly the new ones; each refusal
(no session, expired session, a signature the site wants, a captcha, a redirect to the login
page or the verification centre) records the source broken with its reason; a malformed page
keeps its good reviews, reports each bad one with its URL, caps absurd counts and never
follows a hostile next page."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import yaml

from crawlers.checkpoints import load_checkpoint
from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.pipelines.validate import MAX_COUNT
from crawlers.spiders import dianping_page, douyin_api, xhs_api
from models.review import review_id
from models.runtime import DEMO_CONFIG
from models.store import ReviewQuery
from tests.crawlers.mockserver import PAGES, MockServer, Reply, saved
from tests.crawlers.test_sources_crawl import OVERRIDES
from web.jobs import crawls_in_child

BEIJING = timezone(timedelta(hours=8))
NOTE = "674f0a1b0000000007030aaa"
AWEME = "7450000000000000001"
SHOP = "k5xCPmTViazD3iRf"
XHS = "/api/sns/web/v2/comment/page"
DOUYIN = "/aweme/v1/web/comment/list/"
SESSIONS = {"KOUBEI_XHS_COOKIE": "a1=18f0; web_session=xhs-secret-session",
            "KOUBEI_DOUYIN_COOKIE": "sessionid=douyin-secret-session; ttwid=1%7Cx",
            "KOUBEI_DIANPING_COOKIE": "dper=dianping-secret-session; _lxsdk=abc"}


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


# --- parsers ----------------------------------------------------------------------------------
def test_xhs_comment_fields_paging_and_refusals():
    comments = xhs_api.parse_comments(page("xhs_page1.json"))
    assert comments.cursor == "6750a1b2000000001e00a003"
    first = xhs_api.to_raw_review(comments.comments[0], "x", "https://www.xiaohongshu.com/n")
    assert first.native_id == "6750a1b2000000001e00a005"
    assert first.text == "云雀X9续航真的拉胯[哭惹R]，一天三充"
    assert (first.author, first.likes, first.replies) == ("小红薯5", 12_000, 36)
    assert first.extra == {"location": "上海", "author_id": "5f0000000000000001000005"}
    assert first.published_at == datetime(2025, 12, 2, 9, 0, tzinfo=BEIJING)
    last = xhs_api.parse_comments(page("xhs_page2.json"))
    assert last.cursor is None and last.end_reason == "last_page"
    assert xhs_api.to_raw_review(last.comments[1], "x", "u") is None  # pictures only
    with pytest.raises(PageFormatError, match="api_refused: code -100 登录已过期"):
        xhs_api.parse_comments(page("xhs_login_expired.json"))
    with pytest.raises(PageFormatError, match="code -1 .*X-s/X-t.*not implemented"):
        xhs_api.parse_comments(page("xhs_signature.json"), 406)
    with pytest.raises(PageFormatError, match="code 300017 访问链接异常"):
        xhs_api.parse_comments(page("xhs_link_error.json"))
    with pytest.raises(PageFormatError, match="invalid_json"):
        xhs_api.parse_comments(b"<html>\xe7\x99\xbb\xe5\xbd\x95</html>")


def test_xhs_malformed_page_keeps_the_good_comments():
    comments = xhs_api.parse_comments(page("xhs_malformed.json"))
    assert comments.cursor is None and comments.end_reason == "unreadable_cursor"
    outcomes = []
    for comment in comments.comments:
        try:
            outcomes.append(xhs_api.to_raw_review(comment, "x", "u").text)
        except EntryFormatError as exc:
            outcomes.append(exc.reason)
    assert outcomes == ["好评，物流很快", "bad_time", "missing_id", "not_an_object",
                        "<script>alert(1)</script>点赞数离谱", "missing_content", "最后一条正常的"]
    absurd = xhs_api.to_raw_review(comments.comments[4], "x", "u")
    assert absurd.likes == 0  # "99999999999999999999" is no count a page shows


def test_douyin_comment_fields_paging_and_refusals():
    comments = douyin_api.parse_comments(page("douyin_page1.json"))
    assert comments.cursor == 20
    first = douyin_api.to_raw_review(comments.comments[0], "d", AWEME)
    assert first.text == "这个手机信号太差了，地铁里直接没网"
    assert (first.author, first.likes, first.replies) == ("抖音用户5", 5321, 210)
    assert first.url == f"https://www.douyin.com/video/{AWEME}"
    assert first.extra == {"location": "广东", "author_id": "MS4wLjABAAAA00005xyz"}
    assert first.published_at == datetime(2025, 12, 2, 9, 0, tzinfo=BEIJING)
    assert douyin_api.parse_comments(page("douyin_page2.json"), 20).cursor is None
    empty = douyin_api.parse_comments(page("douyin_empty.json"))
    assert (empty.comments, empty.cursor) == ([], None)  # "comments": null
    for body in (b"", b"blocked", b"  \n"):
        with pytest.raises(PageFormatError, match="empty answer: .*a_bogus"):
            douyin_api.parse_comments(body)
    with pytest.raises(PageFormatError, match="api_refused: status_code 8 用户未登录"):
        douyin_api.parse_comments(page("douyin_refused.json"))


def test_douyin_malformed_page_and_a_cursor_that_does_not_advance():
    comments = douyin_api.parse_comments(page("douyin_malformed.json"))
    assert comments.cursor is None and comments.end_reason == "cursor_not_advancing"
    outcomes = []
    for comment in comments.comments:
        try:
            outcomes.append(douyin_api.to_raw_review(comment, "d", AWEME).text)
        except EntryFormatError as exc:
            outcomes.append(exc.reason)
    assert outcomes == ["好评", "other_video", "missing_id", "bad_time", "点赞数离谱",
                        "最后一条正常的"]


def test_dianping_review_fields_hidden_glyphs_and_refusals():
    reviews = dianping_page.parse_page(page("dianping_page1.html"))
    assert reviews.has_next and len(reviews.items) == 3
    first = dianping_page.to_raw_review(reviews.items[0], "dp")
    assert first.native_id == "1300000005" and first.author == "吃货小王"
    assert first.text.startswith("买的云雀X9用了两周就□机，店员说要寄回厂家")
    assert "收起评价" not in first.text and "展开评价" not in first.text
    assert (first.rating, first.likes, first.replies) == (2.0, 12, 3)
    assert first.extra == {"hidden_characters": 1, "author_id": "9000005",
                           "scores": {"效果": "差", "环境": "一般", "服务": "差"}}
    assert first.url == "https://www.dianping.com/review/1300000005"
    assert first.published_at == datetime(2025, 12, 2, 9, 50, tzinfo=BEIJING)
    updated = dianping_page.to_raw_review(reviews.items[1], "dp")
    assert updated.published_at == datetime(2025, 12, 2, 9, 40, tzinfo=BEIJING)  # 更新于 later
    assert dianping_page.to_raw_review(reviews.items[2], "dp").rating is None  # unrated
    assert not dianping_page.parse_page(page("dianping_page2.html")).has_next
    with pytest.raises(PageFormatError, match="api_refused: a verification page .*验证中心"):
        dianping_page.parse_page(page("dianping_verify.html"))
    with pytest.raises(PageFormatError, match="api_refused: a login page"):
        dianping_page.parse_page("<html><head><title>登录 - 大众点评网</title></head></html>")
    with pytest.raises(PageFormatError, match="no_review_list"):
        dianping_page.parse_page(b"<html><title>shop</title></html>")


def test_dianping_malformed_page_keeps_the_good_reviews():
    reviews = dianping_page.parse_page(page("dianping_malformed.html"))
    outcomes = []
    for item in reviews.items:
        try:
            outcomes.append(dianping_page.to_raw_review(item, "dp").author)
        except EntryFormatError as exc:
            outcomes.append(str(exc))
    assert outcomes == [
        "正常用户", "missing_id: review without a numeric data-id",
        "obfuscated_text: review 1300000011: 20 of 21 characters hidden by the site's glyph "
        "sprites (not decoded)",
        "bad_time: review 1300000012: cannot read the time '刚刚'", "坏人", "最后正常"]
    hostile = dianping_page.to_raw_review(reviews.items[4], "dp")
    assert hostile.text == "作者名带脚本□□店" and hostile.extra["hidden_characters"] == 2
    assert hostile.likes == 0  # a 14-digit "count" is not read


# --- crawls -----------------------------------------------------------------------------------
def xhs_key(query: dict[str, str]) -> str:
    return f"{query.get('note_id')}/{query.get('cursor', '')}/{query.get('xsec_token', '')}"


def douyin_key(query: dict[str, str]) -> str:
    return f"{query.get('aweme_id')}/{query.get('cursor')}"


def review_all(shop: str, number: int = 1) -> str:
    return f"/shop/{shop}/review_all" + ("" if number == 1 else f"/p{number}")


@pytest.fixture
def sites(tmp_path, monkeypatch):
    for name, value in SESSIONS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NO_SUCH_COOKIE", raising=False)
    with MockServer() as server:
        data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
        url = {"base_url": server.url, "entities": ["yunque"]}
        xhs = {"type": "xhs", "xsec_token": "ABtoken=", **url}
        douyin = {"type": "douyin", **url}
        dianping = {"type": "dianping", **url}
        data["sources"] = [
            {"name": "xhs", "note_id": NOTE, **xhs},
            {"name": "douyin", "aweme_id": AWEME, **douyin},
            {"name": "dianping", "shop_id": SHOP, **dianping},
            {"name": "xhs-expired", "note_id": "0" * 24, **xhs},
            {"name": "xhs-unsigned", "note_id": "1" * 24, **xhs},
            {"name": "xhs-captcha", "note_id": "2" * 24, **xhs},
            {"name": "xhs-no-session", "note_id": "3" * 24, **xhs, "cookie_env": "NO_SUCH_COOKIE"},
            {"name": "xhs-bad", "note_id": "4" * 24, **xhs},
            {"name": "douyin-unsigned", "aweme_id": "1", **douyin},
            {"name": "douyin-refused", "aweme_id": "2", **douyin},
            {"name": "douyin-bad", "aweme_id": AWEME, **douyin, "max_pages": 5},
            {"name": "dianping-login", "shop_id": "login", **dianping},
            {"name": "dianping-verify", "shop_id": "verify", **dianping},
            {"name": "dianping-captcha", "shop_id": "captcha", **dianping},
            {"name": "dianping-bad", "shop_id": "bad", **dianping}]
        data["rules"] = []
        config = tmp_path / "koubei.yaml"
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        refusals(server)
        yield server, config


def refusals(server: MockServer) -> None:
    server.route(review_all("login"), Reply(302, b"", {
        "Location": "https://account.dianping.com/login?redir=https%3A%2F%2Fwww.dianping.com"}))
    server.route(review_all("verify"), Reply(302, b"", {
        "Location": "https://verify.meituan.com/v2/web/general_page?action=spiderindefence"}))
    server.page(review_all("captcha"), "dianping_verify.html")
    server.page(review_all("bad"), "dianping_malformed.html")
    server.page(review_all("bad", 2), "dianping_page2.html")


def serve(server: MockServer, xhs_first: str, douyin_first: str, dianping_first: str) -> None:
    captcha = Reply(461, b'{"code":-1,"success":false}', {"Verifytype": "102",
                                                         "Verifyuuid": "b1c2d3"})
    server.route_query(XHS, xhs_key, {
        f"{NOTE}//ABtoken=": [saved(xhs_first)],
        f"{NOTE}/6750a1b2000000001e00a003/ABtoken=": [saved("xhs_page2.json")],
        f"{'0' * 24}//ABtoken=": [saved("xhs_login_expired.json")],
        f"{'1' * 24}//ABtoken=": [saved("xhs_signature.json", 406)],
        f"{'2' * 24}//ABtoken=": [captcha],
        f"{'4' * 24}//ABtoken=": [saved("xhs_malformed.json")]})
    server.route_query(DOUYIN, douyin_key, {
        f"{AWEME}/0": [saved(douyin_first)], f"{AWEME}/20": [saved("douyin_page2.json")],
        "1/0": [Reply(200, b"", {"Content-Type": "application/json"})],
        "2/0": [saved("douyin_refused.json")]})
    server.page(review_all(SHOP), dianping_first)
    server.page(review_all(SHOP, 2), "dianping_page2.html")


def stored(runtime, source: str) -> list[str]:
    return sorted(r.native_id for r in runtime.store.iter_reviews(ReviewQuery(sources=(source,))))


def test_each_crawled_twice_with_the_session(sites, home, open_home):
    server, config = sites
    serve(server, "xhs_page1.json", "douyin_page1.json", "dianping_page1.html")
    names = ["xhs", "douyin", "dianping"]
    reports = dict(zip(names, crawls_in_child(config, home, names, timeout=120,
                                              overrides=OVERRIDES)))
    runtime = open_home(config)
    for name in names:
        assert reports[name].ok and reports[name].new == 5, (name, reports[name],
                                                              reports[name].problems)
    assert stored(runtime, "xhs") == [f"6750a1b2000000001e00a{n:03d}" for n in (0, 2, 3, 4, 5)]
    assert stored(runtime, "douyin") == [f"74500000000000{n:05d}" for n in range(1, 6)]
    assert stored(runtime, "dianping") == [f"130000000{n}" for n in range(1, 6)]
    loud = runtime.store.get(review_id("douyin", "7450000000000000005"))
    assert loud.reach == 5321 + 210 and "yunque" in loud.entities and loud.sentiment
    note = runtime.store.get(review_id("xhs", "6750a1b2000000001e00a005"))
    assert note.likes == 12_000 and note.url == f"https://www.xiaohongshu.com/explore/{NOTE}"
    for path, session in ((XHS, SESSIONS["KOUBEI_XHS_COOKIE"]),
                          (DOUYIN, SESSIONS["KOUBEI_DOUYIN_COOKIE"]),
                          (review_all(SHOP), SESSIONS["KOUBEI_DIANPING_COOKIE"])):
        sent = [h for _m, p, h in server.requests if p.startswith(path)]
        assert sent and all(h.get("Cookie") == session for h in sent), path

    serve(server, "xhs_page1_new.json", "douyin_page1_new.json", "dianping_page1_new.html")
    reports = dict(zip(names, crawls_in_child(config, home, names, timeout=120,
                                              overrides=OVERRIDES)))
    for name in names:
        assert reports[name].ok and (reports[name].new, reports[name].updated) == (2, 0), \
            (name, reports[name])
        assert len(stored(runtime, name)) == 7
        assert load_checkpoint(runtime.state, name).status == "ok"
    for path in home.rglob("*"):
        if path.is_file():
            assert b"secret-session" not in path.read_bytes(), path


def test_refusals_record_the_source_broken(sites, home, open_home):
    server, config = sites
    serve(server, "xhs_page1.json", "douyin_page1.json", "dianping_page1.html")
    expected = {
        "xhs-expired": "code -100 登录已过期",
        "xhs-unsigned": "X-s/X-t",
        "xhs-captcha": "HTTP 461: the site asks for a captcha (Verifytype 102)",
        "xhs-no-session": "NO_SUCH_COOKIE is not set (小红书 needs the Cookie header",
        "douyin-unsigned": "a_bogus",
        "douyin-refused": "status_code 8 用户未登录",
        "dianping-login": "redirected to the login page (the session is missing or expired) "
                          "at account.dianping.com",
        "dianping-verify": "redirected to the verification centre (a captcha; not solved "
                           "here) at verify.meituan.com",
        "dianping-captcha": "a verification page (title: 验证中心)"}
    names = list(expected)
    reports = dict(zip(names, crawls_in_child(config, home, names, timeout=180,
                                              overrides=OVERRIDES)))
    runtime = open_home(config)
    for name, fragment in expected.items():
        assert not reports[name].ok and fragment in reports[name].error, (name, reports[name])
        checkpoint = load_checkpoint(runtime.state, name)
        assert checkpoint.status == "broken" and fragment in checkpoint.last_error, name
    assert not any(p.startswith(XHS) and "3" * 24 in p for p in server.requested_paths())


def test_malformed_pages_keep_good_reviews_and_never_follow_hostile_links(sites, home,
                                                                          open_home):
    server, config = sites
    serve(server, "xhs_page1.json", "douyin_malformed.json", "dianping_page1.html")
    names = ["xhs-bad", "douyin-bad", "dianping-bad"]
    reports = dict(zip(names, crawls_in_child(config, home, names, timeout=120,
                                              overrides=OVERRIDES)))
    runtime = open_home(config)
    for name, kept in (("xhs-bad", 3), ("douyin-bad", 3), ("dianping-bad", 5)):
        assert reports[name].ok and reports[name].new == kept, (name, reports[name])
    xhs_url = f"{server.url}{XHS}?note_id={'4' * 24}"
    problems = reports["xhs-bad"].problems
    for fragment in ("comment 1: bad_time", "comment 2: missing_id", "comment 3: not_an_object",
                     "comment 5: missing_content", "unreadable_cursor"):
        assert any(p.startswith(xhs_url) and fragment in p for p in problems), (fragment,
                                                                                problems)
    problems = reports["douyin-bad"].problems
    assert any(f"{DOUYIN}?" in p and "comment 1: other_video" in p for p in problems), problems
    assert any("cursor_not_advancing" in p for p in problems), problems
    capped = runtime.store.get(review_id("douyin-bad", "7450000000000000011"))
    assert capped.likes == MAX_COUNT and capped.extra["counts_capped"] == ["likes"]
    problems = reports["dianping-bad"].problems
    assert any(review_all("bad") in p and "review 2: obfuscated_text" in p for p in problems)
    hostile = runtime.store.get(review_id("dianping-bad", "1300000013"))
    assert hostile.author == "坏人" and hostile.extra["hidden_characters"] == 2
    # the hostile next link is not followed: the next page is built from the page number
    assert review_all("bad", 2) in server.requested_paths()
    assert not any("evil" in p or "steal" in p for p in server.requested_paths())


def test_weibo_and_jd_send_a_session_only_when_one_is_configured(tmp_path, home, open_home,
                                                                 monkeypatch):
    monkeypatch.setenv("KOUBEI_WEIBO_COOKIE", "SUB=weibo-visitor-cookie")
    monkeypatch.delenv("NO_SUCH_COOKIE", raising=False)
    weibo = "/comments/hotflow?id={mid}&mid={mid}&max_id_type=0"
    with MockServer() as server:
        data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
        url = {"base_url": server.url, "max_pages": 1}
        data["sources"] = [
            {"name": "weibo-session", "type": "weibo", "mid": "51", "cookie_env":
             "KOUBEI_WEIBO_COOKIE", **url},
            {"name": "weibo-public", "type": "weibo", "mid": "52", **url},
            {"name": "jd-no-session", "type": "jd", "sku": "1", "cookie_env": "NO_SUCH_COOKIE",
             **url}]
        data["rules"] = []
        config = tmp_path / "koubei.yaml"
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        for mid in ("51", "52"):
            server.page(weibo.format(mid=mid), "weibo_page1.json")
        names = ["weibo-session", "weibo-public", "jd-no-session"]
        reports = dict(zip(names, crawls_in_child(config, home, names, timeout=120,
                                                  overrides=OVERRIDES)))
        sent = {p: h for _m, p, h in server.requests if p.startswith("/comments")}
    assert reports["weibo-session"].ok and reports["weibo-public"].ok
    assert sent[weibo.format(mid="51")].get("Cookie") == "SUB=weibo-visitor-cookie"
    assert "Cookie" not in sent[weibo.format(mid="52")]
    assert not reports["jd-no-session"].ok
    assert "NO_SUCH_COOKIE is not set (JD needs" in reports["jd-no-session"].error
    assert not any(p.startswith("/comment/") for p in server.requested_paths())
