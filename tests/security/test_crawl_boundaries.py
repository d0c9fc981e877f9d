"""Crawl boundaries (audit findings 6 and 5's crawled half): everything crawled is
attacker-controlled. A feed's or a page's "next" link is followed only over http(s) to the
source's own host (or a ``follow_hosts`` entry) — never to ``file://`` — a response larger than
the source's cap fails its page, and one lone surrogate in a crawled review costs nothing but
that character. One real crawl of five sources in a child process, against a local server."""
from __future__ import annotations

import json

import pytest
import yaml

from crawlers.importers.watched import FileConfig, import_source
from models.runtime import DEMO_CONFIG
from models.store import ReviewQuery
from tests.crawlers.conftest import FAST
from tests.crawlers.mockserver import MockServer, Reply, saved
from web.jobs import crawls_in_child

OVERRIDES = {**FAST, "KOUBEI_BACKOFF_DELAY": 0.1, "AUTOTHROTTLE_ENABLED": False}
FIELDS = {"id": "::attr(id)", "author": "a.user::text", "text": "div.body",
          "time": "xpath:.//time/@datetime"}


def atom(entries: list[tuple[str, str]], next_href: str | None = None) -> bytes:
    link = f'<link rel="next" href="{next_href}"/>' if next_href else ""
    body = "".join(f"<entry><id>{i}</id><updated>2026-11-01T10:00:00Z</updated>"
                   f"<summary>{text}</summary></entry>" for i, text in entries)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>t</title>{link}{body}</feed>").encode()


ATOM = {"Content-Type": "application/xml; charset=utf-8"}


@pytest.fixture
def site(tmp_path):
    local = tmp_path / "local-feed.xml"
    local.write_bytes(atom([("urn:local:1", "LOCAL-FILE-CONTENT")]))
    with MockServer() as server:
        elsewhere = server.url.replace("127.0.0.1", "localhost")
        server.route("/feed.xml", Reply(200, atom([("urn:c:1", "第一页评论")],
                                                   local.as_uri()), ATOM))
        listing = saved("html_list1.html")
        offsite = listing.body.replace(b'href="/reviews?page=2"',
                                       f'href="{elsewhere}/reviews?page=2"'.encode())
        for path in ("/a/reviews", "/b/reviews"):
            server.route(path, Reply(200, offsite, listing.headers))
        server.page("/reviews?page=2", "html_list2.html")
        entries = [{"reviewId": f"r-{i}", "body": text, "createdAt": "2026-11-01T08:00:00+08:00",
                    "user": {"nick": nick}}
                   for i, (text, nick) in enumerate([("售后响应快", "王"), ("坏\ud800字", "李\udc00"),
                                                     ("发热严重", "赵")])]
        server.route("/api/reviews?size=3&page=1", Reply(200, json.dumps(
            {"data": {"list": entries, "hasMore": False}}).encode(),
            {"Content-Type": "application/json"}))
        server.route("/big.xml", Reply(200, atom([("urn:big:1", "大" * 200_000)]), ATOM))
        data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
        common = {"base_url": server.url, "entities": ["yunque"]}
        data["sources"] = [
            {"name": "feed", "type": "rss", "url": "/feed.xml", "max_pages": 3, **common},
            {"name": "forum", "type": "html", "url": "/a/reviews", "item": "li.review",
             "fields": FIELDS, "next_page": "a.next", "max_pages": 3,
             "time_format": "%Y/%m/%d %H:%M", **common},
            {"name": "forum-mirror", "type": "html", "url": "/b/reviews", "item": "li.review",
             "fields": FIELDS, "next_page": "a.next", "max_pages": 3,
             "time_format": "%Y/%m/%d %H:%M", "follow_hosts": ["localhost"], **common},
            {"name": "api", "type": "jsonapi", "url": "/api/reviews?size=3", "items": "data.list",
             "fields": {"id": "reviewId", "text": "body", "time": "createdAt",
                        "author": "user.nick"}, "stop": "!(data.hasMore)", **common},
            {"name": "big", "type": "rss", "url": "/big.xml", "max_response_bytes": 65536,
             **common}]
        data["rules"] = []
        config = tmp_path / "koubei.yaml"
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        yield server, config


def stored(runtime, source: str) -> dict[str, object]:
    return {r.native_id: r for r in runtime.store.iter_reviews(ReviewQuery(sources=(source,)))}


def test_crawls_stay_inside_their_sources(site, home, open_home):
    server, config = site
    names = ["feed", "forum", "forum-mirror", "api", "big"]
    reports = dict(zip(names, crawls_in_child(config, home, names, timeout=180,
                                              overrides=OVERRIDES)))
    runtime = open_home(config)

    feed = stored(runtime, "feed")
    assert list(feed) == ["urn:c:1"]  # the file:// "next" page was not read
    assert not any("LOCAL-FILE-CONTENT" in r.text for r in feed.values())
    assert any("scheme 'file' is not http(s)" in p for p in reports["feed"].problems)

    assert sorted(stored(runtime, "forum")) == ["review-902", "review-903"]
    assert any("host 'localhost' is not the source's" in p for p in reports["forum"].problems)
    assert "/reviews?page=2" in server.requested_paths()  # only through the mirror source:
    assert len(stored(runtime, "forum-mirror")) > 2       # follow_hosts lets it go on

    api = stored(runtime, "api")
    assert reports["api"].ok and sorted(api) == ["r-0", "r-1", "r-2"]
    assert api["r-1"].text == "坏\ufffd字" and api["r-1"].author == "李\ufffd"

    assert stored(runtime, "big") == {}
    assert not reports["big"].ok or reports["big"].problems
    assert any("65536" in p or "size" in p for p in
               reports["big"].problems + [reports["big"].error or ""]), reports["big"]


def test_a_watched_folder_does_not_follow_links_out_of_itself(runtime, tmp_path):
    folder, elsewhere = tmp_path / "exports", tmp_path / "private"
    folder.mkdir()
    elsewhere.mkdir()
    (elsewhere / "secret.csv").write_text("text,time\n机密内容,2026-11-01 10:00:00\n",
                                          encoding="utf-8")
    (folder / "link.csv").symlink_to(elsewhere / "secret.csv")
    (folder / "own.csv").write_text("text,time\n正常导出,2026-11-01 10:00:00\n",
                                    encoding="utf-8")
    (folder / "inner.csv").symlink_to(folder / "own.csv")  # a link inside the folder is fine
    source = FileConfig(name="exports", type="file", path=str(folder), entities=["yunque"])
    report = import_source(runtime, source)
    assert report.ok
    texts = [r.text for r in runtime.store.iter_reviews(ReviewQuery(sources=("exports",)))]
    assert texts == ["正常导出"] and "机密内容" not in texts
