"""知乎 (``type: zhihu``): the comment parser on saved real-format pages, and real crawls
against a fixture server: with the user's session cookie (from the environment, sent as is,
never written under the data directory) the first crawl collects every comment and the
second exactly the new ones; a missing session, "login required" (401) and the risk-control
answer (403) each record the source broken with the reason."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import yaml

from crawlers.checkpoints import load_checkpoint
from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.spiders import zhihu_api
from models.runtime import DEMO_CONFIG
from models.store import ReviewQuery
from tests.crawlers.mockserver import PAGES, MockServer, saved
from tests.crawlers.test_sources_crawl import OVERRIDES
from web.jobs import crawls_in_child

BEIJING = timezone(timedelta(hours=8))
COMMENTS = "/api/v4/comment_v5/answers/{id}/root_comment"
SESSION = "z_c0=2|1:0|10:1764640000|4:z_c0|92:secret-session-token; d_c0=AbCd"


def test_comment_fields_paging_and_refusals():
    page = zhihu_api.parse_comments((PAGES / "zhihu_page1.json").read_bytes())
    assert page.next_offset == "1764467400_10500000003_0"
    first = zhihu_api.to_raw_review(page.comments[0], "zh", "https://www.zhihu.com/answer/1")
    assert first.text == "云雀的售后真的一言难尽，链接等了三周"
    assert (first.author, first.likes, first.replies) == ("知乎用户A", 120, 4)
    assert first.extra == {"location": "上海", "author_id": "user-a"}
    assert first.published_at == datetime(2025, 12, 2, 9, 50, tzinfo=BEIJING)
    assert zhihu_api.parse_comments((PAGES / "zhihu_page2.json").read_bytes()).next_offset \
        is None  # is_end
    with pytest.raises(PageFormatError, match="api_refused: error 40362 您当前请求存在异常"):
        zhihu_api.parse_comments((PAGES / "zhihu_captcha.json").read_bytes())
    with pytest.raises(EntryFormatError, match="missing_id"):
        zhihu_api.to_raw_review({"id": "x/../1", "content": "t"}, "zh", "u")
    assert zhihu_api.to_raw_review({"type": "collapsed_tip"}, "zh", "u") is None
    # a next link is read for its offset only; an odd offset ends the list
    assert zhihu_api.next_offset("https://evil.example/x?offset=12_3_0") == "12_3_0"
    assert zhihu_api.next_offset("https://www.zhihu.com/x?offset=../../admin") is None


@pytest.fixture
def zhihu_site(tmp_path, monkeypatch):
    monkeypatch.setenv("KOUBEI_ZHIHU_COOKIE", SESSION)
    monkeypatch.delenv("NO_SUCH_COOKIE", raising=False)
    with MockServer() as server:
        data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
        keys = {"type": "zhihu", "base_url": server.url, "entities": ["yunque"]}
        data["sources"] = [
            {"name": "zhihu", "content_id": "3300000001", **keys},
            {"name": "zhihu-login", "content_id": "2", **keys},
            {"name": "zhihu-captcha", "content_id": "3", **keys},
            {"name": "zhihu-no-session", "content_id": "4", "cookie_env": "NO_SUCH_COOKIE",
             **keys}]
        data["rules"] = []
        config = tmp_path / "koubei.yaml"
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        server.route(COMMENTS.format(id=2) + "?order_by=score&limit=20&offset=",
                     saved("zhihu_login_required.json", 401))
        server.route(COMMENTS.format(id=3) + "?order_by=score&limit=20&offset=",
                     saved("zhihu_captcha.json", 403))
        yield server, config


def serve(server: MockServer, first: str) -> None:
    base = COMMENTS.format(id="3300000001") + "?order_by=score&limit=20&offset="
    server.page(base, first)
    server.page(base + "1764467400_10500000003_0", "zhihu_page2.json")


def stored(runtime) -> list[str]:
    return sorted(r.native_id for r in
                  runtime.store.iter_reviews(ReviewQuery(sources=("zhihu",))))


def test_crawl_twice_with_the_session(zhihu_site, home, open_home):
    server, config = zhihu_site
    serve(server, "zhihu_page1.json")
    [report] = crawls_in_child(config, home, ["zhihu"], timeout=120, overrides=OVERRIDES)
    assert report.ok and report.new == 5, (report, report.problems)
    runtime = open_home(config)
    assert stored(runtime) == [f"1050000000{n}" for n in range(1, 6)]
    sent = [h for _m, p, h in server.requests if p.startswith(COMMENTS.format(id="3300000001"))]
    assert sent and all(h.get("Cookie") == SESSION for h in sent)

    serve(server, "zhihu_page1_new.json")
    [report] = crawls_in_child(config, home, ["zhihu"], timeout=120, overrides=OVERRIDES)
    assert report.ok and (report.new, report.updated) == (2, 0), report
    assert stored(runtime) == [f"1050000000{n}" for n in range(1, 8)]
    for path in home.rglob("*"):
        if path.is_file():
            assert b"secret-session-token" not in path.read_bytes(), path


def test_refusals_record_the_source_broken(zhihu_site, home, open_home):
    server, config = zhihu_site
    names = ["zhihu-login", "zhihu-captcha", "zhihu-no-session"]
    reports = dict(zip(names, crawls_in_child(config, home, names, timeout=120,
                                              overrides=OVERRIDES)))
    runtime = open_home(config)
    for name, fragment in [("zhihu-login", "请求参数异常"), ("zhihu-captcha", "error 40362"),
                           ("zhihu-no-session", "NO_SUCH_COOKIE is not set")]:
        assert not reports[name].ok and fragment in reports[name].error, reports[name]
        checkpoint = load_checkpoint(runtime.state, name)
        assert checkpoint.status == "broken" and fragment in checkpoint.last_error
    assert not any(p.startswith(COMMENTS.format(id=4)) for p in server.requested_paths())
