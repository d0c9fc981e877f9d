"""Page parsing speed of the crawlers, each beside a baseline run on the same pages.

Pages are the saved real-format fixture pages of ``tests/crawlers/pages`` with their review
list repeated to 20 reviews (a real page size). Figure: reviews turned into ``RawReview`` per
second (decode, select, normalise times/ratings/HTML). Baseline: only decoding the page and
selecting its items (``json.loads`` / building the parsel selector), the floor any parser pays.
Target: at least 200 reviews/s per format on one core, ten times what a polite crawl delivers
(about one page of 20 reviews per second per site), so parsing never limits a crawl.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from parsel import Selector

from benchmarks.table import Figure
from crawlers.spiders import (
    bilibili_api,
    dianping_glyphs,
    dianping_page,
    douban_page,
    douyin_api,
    heimao_api,
    heimao_progress,
    html_page,
    rss_feed,
    wechat_mp_page,
    weibo_api,
    xhs_api,
    zhihu_api,
)
from crawlers.spiders.configured_review import build_review
from crawlers.spiders.html import HtmlConfig

PAGES = Path(__file__).resolve().parent.parent / "tests" / "crawlers" / "pages"
NOW = datetime.now(timezone.utc)
TARGET = 200.0
FORUM = HtmlConfig(name="f", type="html", url="https://bbs.example.cn/r", item="li.review",
                   fields={"id": "::attr(id)", "author": "a.user::text", "text": "div.body",
                           "rating": "span.score::text", "time": "xpath:.//time/@datetime"},
                   time_format="%Y/%m/%d %H:%M")


def _json_page(name: str, path: tuple[str, ...]) -> bytes:
    document = json.loads((PAGES / name).read_bytes())
    node = document
    for key in path[:-1]:
        node = node[key]
    items = node[path[-1]]
    node[path[-1]] = (items * 20)[:20]
    return json.dumps(document, ensure_ascii=False).encode()


def _html_page(name: str, item_start: bytes, list_end: bytes) -> bytes:
    body = (PAGES / name).read_bytes()
    head, rest = body.split(item_start, 1)
    items, tail = rest.rsplit(list_end, 1)
    one = item_start + items
    return head + one * 10 + list_end + tail  # the saved pages hold 2 reviews


def _decode_glyph_page(body: bytes, sheet: dianping_glyphs.SpriteSheet, sprite: bytes) -> int:
    """A page's reviews with its sprites decoded: the SVG read and the classes looked up
    afresh for each page, as a crawl does once per glyph stylesheet."""
    glyphs = dianping_glyphs.GlyphMap(sheet, {sheet.sprites[0].svg:
                                              dianping_glyphs.parse_svg(sprite)})
    return len([dianping_page.to_raw_review(i, "dp", glyphs)
                for i in dianping_page.parse_page(body).items])


def _rate(parse: Callable[[], int], seconds: float = 0.5) -> float:
    parse()  # warm up
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        done += parse()
    return done / (time.perf_counter() - start)


def run() -> list[Figure]:
    bili = _json_page("bilibili_pn1.json", ("data", "replies"))
    weibo = _json_page("weibo_page1.json", ("data", "data"))
    heimao = _json_page("heimao_page1.json", ("result", "data", "complaints"))
    zhihu = _json_page("zhihu_page1.json", ("data",))
    xhs = _json_page("xhs_page1.json", ("data", "comments"))
    douyin = _json_page("douyin_page1.json", ("comments",))
    dianping = _html_page("dianping_page1.html", b"      <li>", b"     </ul>")
    progress = (PAGES / "heimao_view_done.html").read_bytes()
    wechat_list = _json_page("wechat_mp_list1.json", ("app_msg_list",))
    article = (PAGES / "wechat_mp_article_2651081601_1.html").read_bytes()
    svg_page = _html_page("dianping_svg_page.html", b"      <li>", b"     </ul>")
    sheet = dianping_glyphs.parse_css((PAGES / "dianping_glyphs.css").read_text("utf-8"))
    sprite = (PAGES / "dianping_glyphs_path.svg").read_bytes()
    douban = _html_page("douban_page1.html", b'\n        <div class="comment-item',
                        b"\n            </div>\n            <div id=\"paginator\"")
    forum = _html_page("html_list1.html", b"\n      <li class=\"review\"", b"\n</ul>")
    rss = _html_page("rss_feed.xml", b"\n    <item>", b"\n  </channel>")
    cases = {
        "bilibili": (lambda: len([bilibili_api.to_raw_review(r, "b", "u") for r in
                                  bilibili_api.parse_replies(bili).replies]),
                     lambda: len(json.loads(bili)["data"]["replies"])),
        "weibo": (lambda: len([weibo_api.to_raw_review(c, "w", "u") for c in
                               weibo_api.parse_comments(weibo).comments]),
                  lambda: len(json.loads(weibo)["data"]["data"])),
        "heimao": (lambda: len([heimao_api.to_raw_review(c, "h") for c in
                                heimao_api.parse_complaints(heimao).complaints]),
                   lambda: len(json.loads(heimao)["result"]["data"]["complaints"])),
        "zhihu": (lambda: len([zhihu_api.to_raw_review(c, "z", "u") for c in
                               zhihu_api.parse_comments(zhihu).comments]),
                  lambda: len(json.loads(zhihu)["data"])),
        "xhs": (lambda: len([xhs_api.to_raw_review(c, "x", "u") for c in
                             xhs_api.parse_comments(xhs).comments]),
                lambda: len(json.loads(xhs)["data"]["comments"])),
        "douyin": (lambda: len([douyin_api.to_raw_review(c, "d", "7450000000000000001")
                                for c in douyin_api.parse_comments(douyin).comments]),
                   lambda: len(json.loads(douyin)["comments"])),
        "dianping (HTML)": (lambda: len([dianping_page.to_raw_review(i, "dp") for i in
                                         dianping_page.parse_page(dianping).items]),
                            lambda: len(Selector(text=dianping.decode()).css(
                                "div.reviews-items > ul > li"))),
        "dianping + SVG glyphs (HTML)": (
            lambda: _decode_glyph_page(svg_page, sheet, sprite),
            lambda: len(Selector(text=svg_page.decode()).css("div.reviews-items > ul > li"))),
        "wechat_mp list (JSON)": (
            lambda: len([wechat_mp_page.to_ref(r) for r in
                         wechat_mp_page.parse_list(wechat_list).rows]),
            lambda: len(json.loads(wechat_list)["app_msg_list"])),
        # one article page a review
        "wechat_mp article (HTML)": (
            lambda: len([wechat_mp_page.parse_article(article)]),
            lambda: len([Selector(text=article.decode()).css("#js_content")])),
        # one complaint page a review: steps read per page, counted as one review each
        "heimao progress (HTML)": (
            lambda: len([heimao_progress.parse_progress(progress)]),
            lambda: len([Selector(text=progress.decode()).css("div.ts-d-item")])),
        "douban (HTML)": (lambda: len([douban_page.to_raw_review(i, "d", "u") for i in
                                       douban_page.parse_page(douban).items]),
                          lambda: len(Selector(text=douban.decode()).css("div.comment-item"))),
        "html (selectors)": (lambda: len([
            build_review(html_page.field_values(i, FORUM.fields), FORUM, "x", "u", NOW)
            for i in html_page.parse_list(forum, FORUM.item, None).items]),
            lambda: len(Selector(text=forum.decode()).css("li.review"))),
        "rss": (lambda: len([rss_feed.to_raw_review(e, "rss", "r", NOW) for e in
                             rss_feed.parse_feed(rss).entries]),
                lambda: len(Selector(text=rss.decode(), type="xml").xpath("//item"))),
    }
    figures = []
    for name, (ours, floor) in cases.items():
        rate = _rate(ours)
        figures.append(Figure(f"crawl: {name} page parsing", rate, "reviews/s",
                              baseline=_rate(floor), baseline_name="decode + select only",
                              target=f">= {TARGET:,.0f} reviews/s", met=rate >= TARGET))
    return figures
