"""黑猫投诉 (``type: heimao``): the parser on saved real-format pages, the request signature
against a recorded example, and two real crawls against a fixture server that checks every
signature like the site does: the first collects every complaint; the second, after a new
complaint and a status change (处理中 → 已完成), collects exactly the new one and updates the
changed one in place; a rejected signature records the source broken with the site's message."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from crawlers.checkpoints import load_checkpoint
from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.spiders import heimao_api, heimao_progress
from models.review import review_id
from models.runtime import DEMO_CONFIG
from models.store import ReviewQuery
from tests.crawlers.mockserver import PAGES, MockServer, saved
from tests.crawlers.test_sources_crawl import OVERRIDES
from web.jobs import crawls_in_child

BEIJING = timezone(timedelta(hours=8))
LIST = "/api/company/received_complaints"
COUID = "5650743478"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def test_complaint_fields_status_and_reach():
    complaints = heimao_api.parse_complaints(page("heimao_page1.json"))
    assert (complaints.current, complaints.page_amount) == (1, 2)
    reviews = [heimao_api.to_raw_review(c, "hm") for c in complaints.complaints]
    assert [r.native_id for r in reviews] == ["17370000005", "17370000004", "17370000003"]
    first = reviews[0]
    assert first.title == "云雀手机充电发烫，售后拒绝维修"
    assert first.text == "买了不到一个月的云雀X9充电时严重发烫，售后说是人为损坏拒绝保修"
    assert first.extra == {"company": "云雀科技", "demands": "要求退货退款", "status": "处理中"}
    assert (first.likes, first.replies, first.reposts) == (12, 3, 2)
    assert first.author == "黑猫用户5" and first.platform == "heimao"
    assert first.url == "https://tousu.sina.com.cn/complaint/view/17370000005/"
    assert first.published_at == datetime(2025, 12, 2, 9, 50, tzinfo=BEIJING)
    assert reviews[2].extra["status"] == "已完成"


def test_complaint_refusals_and_bad_entries():
    with pytest.raises(PageFormatError, match="api_refused: status.code -1 签名错误"):
        heimao_api.parse_complaints(page("heimao_refused.json"))
    with pytest.raises(PageFormatError, match="no_result"):
        heimao_api.parse_complaints(b"{}")
    with pytest.raises(PageFormatError, match="invalid_json"):
        heimao_api.parse_complaints(b"<html>\xe7\x99\xbb\xe5\xbd\x95</html>")
    with pytest.raises(EntryFormatError, match="missing_id"):
        heimao_api.to_raw_review({"main": {"sn": "../x", "summary": "t"}}, "hm")
    # a listed link off the site is not followed: the complaint's own page is built from sn
    entry = {"main": {"sn": "9", "summary": "t", "timestamp": "1764640200", "status": "99",
                      "url": "https://evil.example/phish"}}
    review = heimao_api.to_raw_review(entry, "hm")
    assert review.url == "https://tousu.sina.com.cn/complaint/view/9/"
    assert review.extra["status"] == "状态99"


def test_progress_page_status_and_steps():
    progress = heimao_progress.parse_progress(page("heimao_view_done.html"))
    assert progress.status == "已完成" and progress.dropped == []
    assert [(s["step"], s["by"]) for s in progress.steps] == [
        ("用户确认完成", "黑猫用户5"), ("商家已回复", "云雀科技"), ("投诉已分配", "黑猫投诉平台"),
        ("发起投诉", "黑猫用户5")]
    reply = progress.steps[1]
    assert reply["text"] == "您好，已为您办理退货退款，款项将在3个工作日内原路退回。"
    assert datetime.fromisoformat(reply["at"]) == datetime(2025, 12, 3, 14, 20, tzinfo=BEIJING)
    assert heimao_progress.parse_progress(page("heimao_view_processing.html")).status == "处理中"


def test_malformed_progress_steps_are_reported_and_the_rest_kept():
    progress = heimao_progress.parse_progress(page("heimao_view_malformed.html"))
    assert progress.dropped == [
        ("missing_step", "step 0: no span.u-status"),
        ("bad_time", "step 1: 商家已回复: cannot read the time '昨天 14:20'")]
    assert [s["step"] for s in progress.steps] == ["商家已回复", "投诉已分配", "发起投诉"]
    hostile = progress.steps[0]
    assert hostile["by"] == "云雀 科技"  # script text is not the author's name
    assert len(hostile["text"]) == heimao_progress.MAX_STEP_TEXT  # 25,000 characters cut
    many = ('<div class="ts-d-question"></div><div class="ts-d-steplist">'
            + '<div class="ts-d-item"><span class="u-status">商家已回复</span></div>' * 500
            + "</div>")
    capped = heimao_progress.parse_progress(many.encode())
    assert len(capped.steps) == heimao_progress.MAX_STEPS
    assert capped.dropped == [("too_many_steps", "steps after 30 not kept (500 on the page)")]
    assert capped.status is None and capped.steps[0]["at"] is None


def test_a_page_without_the_complaint_is_a_format_error():
    with pytest.raises(PageFormatError, match="no_complaint: .*访问验证 - 新浪"):
        heimao_progress.parse_progress(page("heimao_view_captcha.html"))
    with pytest.raises(PageFormatError, match="no_complaint"):
        heimao_progress.parse_progress(b"\xff\xfe not html at all")


def test_signature_agrees_with_a_public_hand_written_one():
    # A public scraper signs the first page of a company's list by hand as
    # sha256("$d6eb7ff91ee257475%1110" + ts + couid + rs): salt, page 1, type 1 and page size
    # 10 already in sorted order. No answer of the live site is recorded (no network).
    ts, rs, couid = "1643429153980", "EZoEKxBufjjt9FQl", "6384912431"
    by_hand = hashlib.sha256(f"$d6eb7ff91ee257475%1110{ts}{couid}{rs}".encode()).hexdigest()
    assert heimao_api.signature(ts, rs, [couid, "1", "10", "1"]) == by_hand
    assert heimao_api.signature(ts, rs, [couid, "1", "10", "2"]) != by_hand


def signed_page(query: dict[str, str]) -> str:
    """The fixture server's check, as the site's: a request whose signature does not match
    its own ts/rs/query is refused."""
    values = [query.get(k, "") for k in ("couid", "type", "page_size", "page")]
    if query.get("signature") != heimao_api.signature(query.get("ts", ""), query.get("rs", ""),
                                                      values) or len(query.get("rs", "")) != 16:
        return "refused"
    return f"{query['couid']}/{query['page']}"


@pytest.fixture
def heimao_site(tmp_path):
    with MockServer() as server:
        data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
        data["sources"] = [
            {"name": "heimao", "type": "heimao", "couid": COUID, "base_url": server.url,
             "entities": ["yunque"]},
            {"name": "heimao-refused", "type": "heimao", "couid": "1", "base_url": server.url}]
        data["rules"] = []
        config = tmp_path / "koubei.yaml"
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        yield server, config


def serve(server: MockServer, first: str, second: str, fifth: str = "processing") -> None:
    refused = [saved("heimao_refused.json")]
    server.route_query(LIST, signed_page, {
        f"{COUID}/1": [saved(first)], f"{COUID}/2": [saved(second)],
        "refused": refused})
    # each complaint's own page: 5 as given, 1 and 2 with unreadable steps, 4 a captcha,
    # 3 and 6 not found (404)
    server.page(view(5), f"heimao_view_{fifth}.html")
    for n in (1, 2):
        server.page(view(n), "heimao_view_malformed.html")
    server.page(view(4), "heimao_view_captcha.html")


def view(n: int) -> str:
    return f"/complaint/view/1737000000{n}/"


def test_two_crawls_new_complaint_and_status_change(heimao_site, home, open_home):
    server, config = heimao_site
    serve(server, "heimao_page1.json", "heimao_page2.json")
    reports = dict(zip(["heimao"], crawls_in_child(config, home, ["heimao"], timeout=120,
                                                   overrides=OVERRIDES)))
    runtime = open_home(config)
    assert reports["heimao"].ok and reports["heimao"].new == 5, reports["heimao"]
    stored = runtime.store.iter_reviews(ReviewQuery(sources=("heimao",)))
    assert sorted(r.native_id for r in stored) == [f"1737000000{n}" for n in range(1, 6)]
    five = runtime.store.get(review_id("heimao", "17370000005"))
    assert five.extra["status"] == "处理中" and five.reposts == 2 and five.reach == 17
    assert "yunque" in five.entities and five.sentiment is not None
    assert [s["step"] for s in five.extra["progress"]] == ["投诉已分配", "发起投诉"]
    # a progress page that fails is reported with its URL; its complaint is kept
    problems = reports["heimao"].problems
    assert any(view(4) in p and "no_complaint" in p for p in problems), problems
    assert any(view(3) in p and "HTTP 404" in p for p in problems), problems
    assert any(view(1) in p and "step 1: 商家已回复: cannot read the time" in p
               for p in problems), problems
    four = runtime.store.get(review_id("heimao", "17370000004"))
    assert "progress" not in four.extra and four.extra["status"]
    assert len(runtime.store.get(review_id("heimao", "17370000001")).extra["progress"]) == 3

    serve(server, "heimao_page1_new.json", "heimao_page2_new.json", fifth="done")
    report = crawls_in_child(config, home, ["heimao"], timeout=120, overrides=OVERRIDES)[0]
    assert report.ok and (report.new, report.updated) == (1, 1), report
    stored = runtime.store.iter_reviews(ReviewQuery(sources=("heimao",)))
    assert sorted(r.native_id for r in stored) == [f"1737000000{n}" for n in range(1, 7)]
    five = runtime.store.get(review_id("heimao", "17370000005"))
    assert five.extra["status"] == "已完成"
    [update] = five.extra["status_updates"]
    assert (update["from"], update["to"]) == ("处理中", "已完成")
    assert datetime.fromisoformat(update["seen_at"]) >= five.published_at
    assert [s["step"] for s in five.extra["progress"]] == ["用户确认完成", "商家已回复",
                                                           "投诉已分配", "发起投诉"]
    assert load_checkpoint(runtime.state, "heimao").status == "ok"

    # the complaint's page fails this time: the stored progress is kept, nothing is updated
    server.page(view(5), "heimao_view_captcha.html")
    report = crawls_in_child(config, home, ["heimao"], timeout=120, overrides=OVERRIDES)[0]
    assert report.ok and (report.new, report.updated) == (0, 0), report
    assert len(runtime.store.get(review_id("heimao", "17370000005")).extra["progress"]) == 4


def test_rejected_signature_records_the_source_broken(heimao_site, home, open_home):
    server, config = heimao_site
    server.route_query(LIST, lambda query: "refused", {"refused": [saved("heimao_refused.json")]})
    report = crawls_in_child(config, home, ["heimao-refused"], timeout=120,
                             overrides=OVERRIDES)[0]
    assert not report.ok and "签名错误" in report.error, report
    checkpoint = load_checkpoint(open_home(config).state, "heimao-refused")
    assert checkpoint.status == "broken" and "签名错误" in checkpoint.last_error
