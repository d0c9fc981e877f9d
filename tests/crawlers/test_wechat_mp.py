"""微信公众号 articles (``type: wechat_mp``): the list and article parsers on saved real-format
pages, and real crawls against a fixture server. Listed with the user's 公众号 admin session
(cookie and token from the environment, never written under the data directory), the first
crawl collects every article and the second exactly the new ones; given article links are
read without a session. Each refusal (invalid session, frequency control, no token, a
verification page, a deleted article) is reported with its reason, the source recorded broken
where the site refuses the crawl; hostile links in the list are never requested."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import yaml
from pydantic import ValidationError

from crawlers.checkpoints import load_checkpoint
from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.spiders import wechat_mp_page
from crawlers.spiders.wechat_mp import WechatMpConfig
from models.review import review_id
from models.runtime import DEMO_CONFIG
from models.store import ReviewQuery
from tests.crawlers.mockserver import PAGES, MockServer, saved
from tests.crawlers.test_sources_crawl import OVERRIDES
from web.jobs import crawls_in_child

BEIJING = timezone(timedelta(hours=8))
BIZ = "MzA3NTEzMTUwNA=="
FAKEID = BIZ
LIST = "/cgi-bin/appmsg"
SESSION = {"KOUBEI_WECHAT_MP_COOKIE": "slave_sid=wechat-secret-session; slave_user=gh_1",
           "KOUBEI_WECHAT_MP_TOKEN": "1192030154"}
OLD = [(2651081601, 1), (2651081601, 2), (2651081590, 1), (2651081580, 1), (2651081570, 1),
       (2651081560, 1), (2651081550, 1)]
NEW = [(2651081620, 1), (2651081620, 2)]


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def native(mid: int, idx: int) -> str:
    return f"{BIZ}:{mid}_{idx}"


def link(mid: int, idx: int) -> str:
    return f"https://mp.weixin.qq.com/s?__biz={BIZ}&mid={mid}&idx={idx}&sn={mid:x}{idx:02d}ab"


# --- parsers ----------------------------------------------------------------------------------
def test_list_rows_paging_and_refusals():
    listed = wechat_mp_page.parse_list(page("wechat_mp_list1.json"))
    assert (len(listed.rows), listed.total) == (5, 7)
    ref = wechat_mp_page.to_ref(listed.rows[0])
    assert ref.native_id == native(2651081601, 1)
    assert ref.target == f"/s?__biz={BIZ}&mid=2651081601&idx=1&sn=9e044b8101ab"
    assert (ref.title, ref.author) == ("云雀X9深度体验：续航翻车了吗？", "李明")
    assert ref.published_at == datetime(2025, 12, 5, 10, 0, tzinfo=BEIJING)
    with pytest.raises(PageFormatError, match="api_refused: ret 200003 invalid session: the 公众号 "
                                              "session"):
        wechat_mp_page.parse_list(page("wechat_mp_session_expired.json"))
    with pytest.raises(PageFormatError, match="ret 200013 freq control"):
        wechat_mp_page.parse_list(page("wechat_mp_freq_control.json"))
    with pytest.raises(PageFormatError, match="api_refused: the list answer is not JSON"):
        wechat_mp_page.parse_list(b"<html><title>\xe7\x99\xbb\xe5\xbd\x95</title></html>")


def test_malformed_list_rows_and_hostile_links():
    rows = wechat_mp_page.parse_list(page("wechat_mp_malformed.json")).rows
    outcomes = []
    for row in rows:
        try:
            outcomes.append(wechat_mp_page.to_ref(row).native_id)
        except EntryFormatError as exc:
            outcomes.append(exc.reason)
    assert outcomes == [native(2651081601, 1), "not_an_object", "missing_link", "offsite_link",
                        "offsite_link", "offsite_link", "bad_time", "not_an_article",
                        native(2651081550, 1)]
    short = wechat_mp_page.article_ref("https://mp.weixin.qq.com/s/AbC_d-1")
    assert (short.native_id, short.target) == ("s:AbC_d-1", "/s/AbC_d-1")
    for hostile in ("https://mp.weixin.qq.com/s/../../admin", "ftp://mp.weixin.qq.com/s/x",
                    "https://mp.weixin.qq.com/cgi-bin/appmsg?__biz=x&mid=1&idx=1"):
        with pytest.raises(EntryFormatError):
            wechat_mp_page.article_ref(hostile)


def test_article_page_fields_and_refusals():
    article = wechat_mp_page.parse_article(page("wechat_mp_article_2651081601_1.html"))
    assert article.title == "云雀X9深度体验：续航翻车了吗？"
    assert (article.account, article.author) == ("云雀科技观察", "李明")
    assert article.published_at == datetime(2025, 12, 5, 10, 0, tzinfo=BEIJING)
    assert article.text == ("用了三周云雀X9，先说结论：续航比宣传的差一截，重度使用撑不到晚上。\n"
                            "拍照确实进步明显，夜景很干净。\n售后态度一般，换电池要等两周。")
    no_author = wechat_mp_page.parse_article(page("wechat_mp_article_2651081590_1.html"))
    assert no_author.author is None and no_author.account == "云雀科技观察"
    with pytest.raises(wechat_mp_page.Refused, match="a verification page \\(环境异常\\)"):
        wechat_mp_page.parse_article(page("wechat_mp_verify.html"))
    with pytest.raises(wechat_mp_page.Unavailable, match="该内容已被发布者删除"):
        wechat_mp_page.parse_article(page("wechat_mp_deleted.html"))
    with pytest.raises(PageFormatError, match="no_article"):
        wechat_mp_page.parse_article(b"<html><title>x</title><body>hello</body></html>")
    # the title from the script when the heading is missing; an article without text
    scripted = ("<html><script>var msg_title = '\\x26lt;标题\\x26gt;'.html(false);\n"
                'var nickname = htmlDecode("号&amp;名");\nvar ct = "1764900000";</script>'
                '<div id="js_content"><img src="a.jpg"></div></html>')
    bare = wechat_mp_page.parse_article(scripted)
    assert (bare.title, bare.account, bare.text) == ("<标题>", "号&名", "")
    ref = wechat_mp_page.article_ref(link(1, 1))
    with pytest.raises(EntryFormatError, match="missing_content"):
        wechat_mp_page.to_raw_review(ref, bare, "w")
    ref.digest = "摘要"
    assert wechat_mp_page.to_raw_review(ref, bare, "w").extra == {"account": "号&名",
                                                                  "text_from": "digest"}


def test_config_takes_exactly_one_way_and_only_article_links():
    assert WechatMpConfig(name="w", type="wechat_mp", fakeid=FAKEID).articles == []
    assert WechatMpConfig(name="w", type="wechat_mp", articles=[link(1, 1)]).fakeid is None
    for keys in ({}, {"fakeid": FAKEID, "articles": [link(1, 1)]},
                 {"articles": ["https://evil.example/s?__biz=x&mid=1&idx=1"]},
                 {"fakeid": "../etc"}):
        with pytest.raises(ValidationError):
            WechatMpConfig(name="w", type="wechat_mp", **keys)


# --- crawls -----------------------------------------------------------------------------------
def list_key(query: dict[str, str]) -> str:
    return f"{query.get('fakeid')}/{query.get('begin')}/{query.get('token')}"


def article_key(query: dict[str, str]) -> str:
    return f"{query.get('mid')}_{query.get('idx')}"


def serve(server: MockServer, first: str, second: str, verify: bool = False) -> None:
    token = SESSION["KOUBEI_WECHAT_MP_TOKEN"]
    server.route_query(LIST, list_key, {
        f"{FAKEID}/0/{token}": [saved(first)], f"{FAKEID}/5/{token}": [saved(second)],
        f"expired/0/{token}": [saved("wechat_mp_session_expired.json")],
        f"freq/0/{token}": [saved("wechat_mp_freq_control.json")],
        f"verify/0/{token}": [saved("wechat_mp_list1.json")],
        f"bad/0/{token}": [saved("wechat_mp_malformed.json")]})
    articles = {f"{mid}_{idx}": [saved(f"wechat_mp_article_{mid}_{idx}.html")]
                for mid, idx in OLD + NEW}
    if verify:
        articles[f"{OLD[2][0]}_{OLD[2][1]}"] = [saved("wechat_mp_verify.html")]
    articles["2651081570_1"] = [saved("wechat_mp_deleted.html")] if verify else \
        articles["2651081570_1"]
    server.route_query("/s", article_key, articles)


@pytest.fixture
def site(tmp_path, monkeypatch):
    for name, value in SESSION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NO_SUCH_TOKEN", raising=False)

    def configure(server: MockServer, articles: list[str]) -> object:
        data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
        wechat = {"type": "wechat_mp", "base_url": server.url, "entities": ["yunque"]}
        data["sources"] = [
            {"name": "wechat", "fakeid": FAKEID, **wechat},
            {"name": "wechat-expired", "fakeid": "expired", **wechat},
            {"name": "wechat-freq", "fakeid": "freq", **wechat},
            {"name": "wechat-verify", "fakeid": "verify", **wechat},
            {"name": "wechat-no-token", "fakeid": FAKEID, **wechat, "token_env": "NO_SUCH_TOKEN"},
            {"name": "wechat-bad", "fakeid": "bad", **wechat, "max_pages": 1},
            {"name": "wechat-links", "articles": articles, **wechat},
            {"name": "wechat-links-verify", "articles": [link(*OLD[2]), link(*OLD[0])], **wechat}]
        data["rules"] = []
        config = tmp_path / "koubei.yaml"
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return config

    with MockServer() as server:
        yield server, configure


def stored(runtime, source: str) -> list[str]:
    return sorted(r.native_id for r in runtime.store.iter_reviews(ReviewQuery(sources=(source,))))


def test_account_crawled_twice_with_the_session(site, home, open_home):
    server, configure = site
    config = configure(server, [link(*OLD[0])])
    serve(server, "wechat_mp_list1.json", "wechat_mp_list2.json")
    [report] = crawls_in_child(config, home, ["wechat"], timeout=120, overrides=OVERRIDES)
    assert report.ok and report.new == 7, (report, report.problems)
    runtime = open_home(config)
    assert stored(runtime, "wechat") == sorted(native(*a) for a in OLD)
    review = runtime.store.get(review_id("wechat", native(*OLD[0])))
    assert review.title == "云雀X9深度体验：续航翻车了吗？" and review.author == "李明"
    assert review.text.startswith("用了三周云雀X9") and "document.write" not in review.text
    assert review.extra["account"] == "云雀科技观察" and "yunque" in review.entities
    assert review.url == link(*OLD[0]) and review.sentiment
    assert review.published_at == datetime(2025, 12, 5, 2, 0, tzinfo=timezone.utc)
    lists = [(p, h) for _m, p, h in server.requests if p.startswith(LIST)]
    assert lists and all(h.get("Cookie") == SESSION["KOUBEI_WECHAT_MP_COOKIE"] for _p, h in lists)
    pages = [h for _m, p, h in server.requests if p.startswith("/s?")]
    assert len(pages) == 7 and not any("Cookie" in h for h in pages)  # public pages: no session

    serve(server, "wechat_mp_list1_new.json", "wechat_mp_list2_new.json")
    [report] = crawls_in_child(config, home, ["wechat"], timeout=120, overrides=OVERRIDES)
    assert report.ok and (report.new, report.updated) == (2, 0), (report, report.problems)
    assert len(stored(runtime, "wechat")) == 9
    assert load_checkpoint(runtime.state, "wechat").status == "ok"
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"secret-session" not in data and b"1192030154" not in data, path


def test_refusals_record_the_source_broken(site, home, open_home):
    server, configure = site
    config = configure(server, [link(*OLD[0])])
    serve(server, "wechat_mp_list1.json", "wechat_mp_list2.json", verify=True)
    expected = {"wechat-expired": "ret 200003 invalid session",
                "wechat-freq": "ret 200013 freq control",
                "wechat-verify": "the site refused the crawl: a verification page (环境异常)",
                "wechat-no-token": "NO_SUCH_TOKEN is not set",
                "wechat-links-verify": "the site refused the crawl: a verification page"}
    names = list(expected)
    reports = dict(zip(names, crawls_in_child(config, home, names, timeout=120,
                                              overrides=OVERRIDES)))
    runtime = open_home(config)
    for name, fragment in expected.items():
        assert not reports[name].ok and fragment in reports[name].error, (name, reports[name])
        checkpoint = load_checkpoint(runtime.state, name)
        assert checkpoint.status == "broken" and fragment in checkpoint.last_error, name
        assert "1192030154" not in " ".join(reports[name].problems) + reports[name].error
    # the articles read before the verification page are kept
    assert native(*OLD[0]) in stored(runtime, "wechat-verify")
    assert not any(p.startswith(LIST) and "NO_SUCH" in p for p in server.requested_paths())
    # given links: the refusal on the first stops the crawl before the second
    assert not stored(runtime, "wechat-links-verify")


def test_malformed_list_keeps_good_articles_and_never_follows_hostile_links(site, home,
                                                                          open_home):
    server, configure = site
    config = configure(server, [link(*OLD[0])])
    serve(server, "wechat_mp_list1.json", "wechat_mp_list2.json")
    [report] = crawls_in_child(config, home, ["wechat-bad"], timeout=120, overrides=OVERRIDES)
    assert report.ok and report.new == 2, (report, report.problems)
    assert stored(open_home(config), "wechat-bad") == [native(*OLD[6]), native(*OLD[0])]
    for fragment in ("article 1: not_an_object", "article 2: missing_link",
                     "article 3: offsite_link: link to 'evil.example'",
                     "article 5: offsite_link", "article 6: bad_time", "article 7: not_an_article"):
        assert any(fragment in p for p in report.problems), (fragment, report.problems)
    assert all(p.startswith(f"{server.url}{LIST}?") for p in report.problems)
    paths = server.requested_paths()
    assert not any("evil" in p or "etc" in p or "javascript" in p for p in paths), paths


def test_given_links_read_without_a_session_then_only_the_new_one(site, home, open_home,
                                                                  monkeypatch):
    server, configure = site
    monkeypatch.delenv("KOUBEI_WECHAT_MP_COOKIE")
    monkeypatch.delenv("KOUBEI_WECHAT_MP_TOKEN")
    serve(server, "wechat_mp_list1.json", "wechat_mp_list2.json", verify=False)
    config = configure(server, [link(*OLD[0]), link(*OLD[3])])
    [report] = crawls_in_child(config, home, ["wechat-links"], timeout=120, overrides=OVERRIDES)
    assert report.ok and report.new == 2, (report, report.problems)
    config = configure(server, [link(*OLD[0]), link(*OLD[3]), link(*NEW[1]),
                                link(2651081570, 1)])
    serve(server, "wechat_mp_list1.json", "wechat_mp_list2.json", verify=True)
    [report] = crawls_in_child(config, home, ["wechat-links"], timeout=120, overrides=OVERRIDES)
    assert report.ok and (report.new, report.unchanged) == (1, 2), (report, report.problems)
    assert any("article 0: article_unavailable: the site says: 该内容已被发布者删除" in p
               for p in report.problems), report.problems
    runtime = open_home(config)
    assert stored(runtime, "wechat-links") == sorted(native(*a) for a in (OLD[0], OLD[3],
                                                                           NEW[1]))
    assert not any(p.startswith(LIST) for p in server.requested_paths())


def test_the_sites_robots_txt_is_obeyed_unless_the_source_says_not(tmp_path, home,
                                                                   monkeypatch):
    """mp.weixin.qq.com's robots.txt (as published in 2026) disallows /s and /cgi-bin/appmsg
    for every agent: by default the crawl is refused before any request and the source is
    recorded broken saying so; ``obey_robots: false`` is the deployment's own decision."""
    for name, value in SESSION.items():
        monkeypatch.setenv(name, value)
    with MockServer() as server:
        server.page("/robots.txt", "wechat_mp_robots.txt")
        serve(server, "wechat_mp_list1.json", "wechat_mp_list2.json")
        data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
        wechat = {"type": "wechat_mp", "base_url": server.url, "max_pages": 1}
        data["sources"] = [{"name": "polite", "fakeid": FAKEID, **wechat},
                           {"name": "polite-links", "articles": [link(*OLD[0])], **wechat},
                           {"name": "own-account", "fakeid": FAKEID, **wechat,
                            "obey_robots": False}]
        data["rules"] = []
        config = tmp_path / "koubei.yaml"
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        names = ["polite", "polite-links", "own-account"]
        reports = dict(zip(names, crawls_in_child(config, home, names, timeout=120,
                                                  overrides=OVERRIDES)))
        paths = server.requested_paths()
    for name in ("polite", "polite-links"):
        assert not reports[name].ok and "robots.txt" in reports[name].error, reports[name]
    assert reports["own-account"].ok and reports["own-account"].new == 5
    assert sum(p.startswith(LIST) for p in paths) == 1  # own-account's list page only
