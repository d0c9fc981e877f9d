"""大众点评's SVG glyph sprites: decoded from recorded-format stylesheets and SVGs (both the
``<textPath>`` and the ``<text x y>`` variants), exactly or not at all (a class that does not
fit the grid stays ``□``); the per-page web font is not decoded and counts one hidden
character per glyph. In a real crawl the spider reads the page's stylesheet and SVG without
the session, only from allowed hosts, and keeps the reviews (with ``□``) when a file fails."""
from __future__ import annotations

import pytest
import yaml

from crawlers.spiders import dianping_glyphs, dianping_page
from models.review import review_id
from models.runtime import DEMO_CONFIG
from tests.crawlers.mockserver import PAGES, MockServer, Reply
from tests.crawlers.test_sources_crawl import OVERRIDES
from web.jobs import crawls_in_child

SHEET = "/v1/mss_0a06a471f9514fc79c981b5466f56b91/svgtextcss/b5e1d2c3a4f5e6d7.css"
SPRITE = "/v1/mss_0a06a471f9514fc79c981b5466f56b91/svgtextcss/7d2ac4a1b2c3d4e5.svg"
SESSION = "dper=dianping-secret-session"
DECODED = ["买的云雀X9用了两周就死机，售后说要寄回厂家，等了一个月还没消息。",
           "店员小姐姐很耐心，帮我把数据都迁移好了，推荐！", "屏幕不错，就是续航一般。"]
HIDDEN = ["买的云雀X9用了两周就□机，□后说要寄回□家，等了一个月还没□息。",
          "店员小□姐很耐□，□我把数据都□移好了，□□！", "□幕不错，就是□□一般。"]
DECOYS = "手机□的□和□还有□，以及□字体的，整体还行，下次再来看看新款。"


def glyph_map(css: str, svg: str) -> dianping_glyphs.GlyphMap:
    sheet = dianping_glyphs.parse_css((PAGES / css).read_text(encoding="utf-8"))
    return dianping_glyphs.GlyphMap(sheet, {sheet.sprites[0].svg: dianping_glyphs.parse_svg(
        (PAGES / svg).read_bytes())})


def texts(glyphs: dianping_glyphs.GlyphMap | None) -> list[tuple[str, dict]]:
    page = dianping_page.parse_page((PAGES / "dianping_svg_page.html").read_bytes())
    reviews = [dianping_page.to_raw_review(item, "dp", glyphs) for item in page.items]
    return [(r.text, {k: v for k, v in r.extra.items() if k.endswith("characters")})
            for r in reviews]


@pytest.mark.parametrize("css, svg", [("dianping_glyphs.css", "dianping_glyphs_path.svg"),
                                      ("dianping_glyphs_rows.css", "dianping_glyphs_rows.svg")])
def test_both_sprite_variants_decode_exactly(css, svg):
    glyphs = glyph_map(css, svg)
    assert len(glyphs) == 56 and glyphs.sheet.sprites[0].prefix == "xq"
    assert texts(glyphs) == [(DECODED[0], {"decoded_characters": 4}),
                             (DECODED[1], {"decoded_characters": 6}),
                             (DECODED[2], {"decoded_characters": 3}),
                             (DECOYS, {"hidden_characters": 5})]
    # off the grid, below every row, past the row's end, unknown: never guessed
    assert [glyphs.char(n) for n in ("xqzz1", "xqzz2", "xqzz3", "xqnone", "kf1")] == [None] * 5


def test_without_the_sprites_every_glyph_stays_hidden_and_counts_once():
    assert texts(None) == [(HIDDEN[0], {"hidden_characters": 4}),
                           (HIDDEN[1], {"hidden_characters": 6}),
                           (HIDDEN[2], {"hidden_characters": 3}),
                           (DECOYS, {"hidden_characters": 5})]  # the web-font glyph: one □
    page = dianping_page.parse_page((PAGES / "dianping_svg_page.html").read_bytes())
    assert page.stylesheets == ["https://evil.example/svgtextcss/steal.css", f"//s3plus.meituan"
                                f".net{SHEET}"]


def test_hostile_or_broken_glyph_files_decode_nothing():
    with pytest.raises(ValueError, match="not readable SVG"):
        dianping_glyphs.parse_svg(b"<svg><text>")
    entity = (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
              b'<svg><style>text{font-size:14px}</style><text x="0" y="41">&x;ab</text></svg>')
    rows = dianping_glyphs.parse_svg(entity)
    assert rows.rows == [] and rows.font_size == 14  # the row with an entity is left out
    no_size = dianping_glyphs.parse_svg(b'<svg><text x="0" y="41">ab</text></svg>')
    assert no_size.font_size is None
    sheet = dianping_glyphs.parse_css('svgmtsi[class^="xq"]{background-image: url(a.svg);}'
                                      ".xqa{background:-14.0px -20.0px;} .xqb{color:red}")
    glyphs = dianping_glyphs.GlyphMap(sheet, {"a.svg": no_size})
    assert glyphs.char("xqa") is None  # no font size and no width: not decoded
    sheet.sprites[0].width = 14.0
    assert glyphs.char("xqb") is None and dianping_glyphs.GlyphMap(
        sheet, {"a.svg": no_size}).char("xqa") == "b"


# --- a real crawl -----------------------------------------------------------------------------
@pytest.fixture
def shop(tmp_path, monkeypatch):
    monkeypatch.setenv("KOUBEI_DIANPING_COOKIE", SESSION)
    with MockServer() as server:
        data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
        url = {"type": "dianping", "base_url": server.url, "entities": ["yunque"],
               "max_pages": 1}
        data["sources"] = [{"name": "dp-svg", "shop_id": "svg", **url},
                           {"name": "dp-broken", "shop_id": "broken", **url},
                           {"name": "dp-plain", "shop_id": "plain", **url,
                            "decode_glyphs": False}]
        data["rules"] = []
        config = tmp_path / "koubei.yaml"
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        for shop_id in ("svg", "broken", "plain"):
            server.page(f"/shop/{shop_id}/review_all", "dianping_svg_page.html")
        server.page(SHEET, "dianping_glyphs.css")
        yield server, config


def test_crawl_reads_the_sprites_once_without_the_session(shop, home, open_home):
    server, config = shop
    server.page(SPRITE, "dianping_glyphs_path.svg")
    names = ["dp-svg", "dp-plain"]
    reports = dict(zip(names, crawls_in_child(config, home, names, timeout=120,
                                              overrides=OVERRIDES)))
    assert reports["dp-svg"].ok and reports["dp-svg"].new == 4, reports["dp-svg"]
    runtime = open_home(config)
    stored = [runtime.store.get(review_id("dp-svg", f"130000002{n}")) for n in (1, 2, 3)]
    assert [r.text for r in stored] == DECODED and stored[0].extra["decoded_characters"] == 4
    assert any("evil.example/svgtextcss/steal.css" in p and "not read" in p
               for p in reports["dp-svg"].problems), reports["dp-svg"].problems
    plain = runtime.store.get(review_id("dp-plain", "1300000021"))
    assert plain.text == HIDDEN[0] and plain.extra["hidden_characters"] == 4
    glyph_requests = [(p, h) for _m, p, h in server.requests if "svgtextcss" in p]
    assert sorted(p for p, _h in glyph_requests) == sorted([SHEET, SPRITE])  # once, dp-svg only
    assert not any("Cookie" in h for _p, h in glyph_requests)
    assert all(h.get("Cookie") == SESSION for _m, p, h in server.requests
               if p.startswith("/shop/"))
    assert "/svgtextcss/steal.css" not in server.requested_paths()


def test_a_missing_sprite_keeps_the_reviews_hidden(shop, home, open_home):
    server, config = shop
    server.route(SPRITE, Reply(404, b"not found"))
    [report] = crawls_in_child(config, home, ["dp-broken"], timeout=120, overrides=OVERRIDES)
    assert report.ok and report.new == 4, report
    assert any(SPRITE in p and "glyph file not read: HTTP 404" in p for p in report.problems)
    review = open_home(config).store.get(review_id("dp-broken", "1300000022"))
    assert review.text == HIDDEN[1] and review.extra["hidden_characters"] == 6
