"""The feed's paging, count, date/topic/source filters, active-filter chips, and the export
of the filtered list as CSV and XLSX with formula cells neutralised."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

from openpyxl import load_workbook

from tests.factories import make_review

SHANGHAI = timezone(timedelta(hours=8))


def at(d: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, d, hour, tzinfo=SHANGHAI)


def shown_ids(body: str) -> list[str]:
    return re.findall(r'href="/reviews/([0-9a-f]+)"', body)


def test_the_feed_pages_through_every_result_with_a_count(client, store):
    reviews = [make_review(published_at=at(1) + timedelta(minutes=i)) for i in range(120)]
    store.upsert(reviews)
    seen, url = [], "/?entity=yunque"
    ranges = []
    while url:
        body = client.get(url.replace("&amp;", "&")).get_data(as_text=True)
        ranges.append(re.search(r"共 (\d+) 条，当前第 (\d+)–(\d+) 条", body).groups())
        seen += shown_ids(body)
        found = re.search(r'<a href="([^"]+)" id="next-page"', body)
        url = found[1] if found else None
        if ranges[-1][1] != "1":
            assert 'id="first-page"' in body and "历史结果" in body
    assert ranges == [("120", "1", "50"), ("120", "51", "100"), ("120", "101", "120")]
    assert seen == [r.id for r in reversed(reviews)]


def test_date_range_topic_and_an_imported_source(client, store):
    store.upsert([make_review(published_at=at(3), topics=["物流配送"]),
                  make_review(published_at=at(4), topics=["价格"], source="import-weibo-2026"),
                  make_review(published_at=at(6), topics=["物流配送"])])
    body = client.get("/?since=2026-11-03&until=2026-11-04").get_data(as_text=True)
    assert "共 2 条" in body
    assert 'id="filter-since" value="2026-11-03"' in body
    assert 'id="filter-until" value="2026-11-04"' in body
    # every source present is offered, and a chosen one shows as chosen, not as 全部
    body = client.get("/?source=import-weibo-2026").get_data(as_text=True)
    assert '<option value="import-weibo-2026" selected>' in body and "共 1 条" in body
    # topics come from a dropdown with the taxonomy
    body = client.get("/?topic=物流配送").get_data(as_text=True)
    assert '<option value="物流配送" selected>' in body and '<option value="价格">' in body
    assert "共 2 条" in body


def test_every_active_filter_shows_with_a_link_that_removes_it(client, store):
    store.upsert([make_review(published_at=at(3), label="negative", topics=["价格"])])
    body = client.get("/?sentiment=negative&topic=价格&since=2026-11-01").get_data(as_text=True)
    chips = re.findall(r'<li class="chip"><span>(.*?)</span> <a href="([^"]+)"', body)
    assert [c[0] for c in chips] == ["情感：负面", "话题：价格", "从：2026-11-01"]
    without_topic = chips[1][1].replace("&amp;", "&")
    assert "topic=" not in without_topic and "sentiment=negative" in without_topic


def test_a_chart_click_through_with_exact_times_keeps_the_day_shown(client, store):
    body = client.get("/?since=2026-11-02T00:00:00%2B08:00&until=2026-11-03T00:00:00%2B08:00"
                      ).get_data(as_text=True)
    assert 'id="filter-until" value="2026-11-02"' in body  # the end is exclusive


def test_filtered_list_exports_as_csv_and_xlsx_with_formulas_neutralised(client, store):
    evil = make_review(text="=HYPERLINK(\"http://evil.example\",\"点我\")", author="@admin",
                       title="+1 好评", published_at=at(5), label="negative")
    minus = make_review(text="-2 分，差评", published_at=at(6), label="negative")
    other = make_review(text="正常评论", published_at=at(6), label="positive")
    store.upsert([evil, minus, other])
    response = client.get("/export/reviews.csv?sentiment=negative")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["ID", "发布时间", "来源"]
    by_id = {row[0]: row for row in rows[1:]}
    assert set(by_id) == {evil.id, minus.id}
    assert by_id[evil.id][12] == "'=HYPERLINK(\"http://evil.example\",\"点我\")"
    assert by_id[evil.id][5] == "'@admin" and by_id[evil.id][11] == "'+1 好评"
    assert by_id[minus.id][12] == "'-2 分，差评"
    assert by_id[evil.id][1] == "2026-11-05 12:00:00"  # local time

    response = client.get("/export/reviews.xlsx?sentiment=negative")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    cells = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells[evil.id][12].startswith("'=HYPERLINK") and cells[evil.id][5] == "'@admin"
    assert cells[evil.id][6] == 5.0  # numbers stay numbers
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@"))
                   for row in cells.values() for v in row)


def test_exports_keep_to_scope_and_role(signed_in, store, runtime):
    store.upsert([make_review(entities=["yunque"], published_at=at(5)),
                  make_review(entities=["other"], published_at=at(5))])
    analyst = signed_in("wang", "analyst", ["yunque"])
    rows = list(csv.reader(io.StringIO(
        analyst.get("/export/reviews.csv").get_data().decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][4] == "yunque"
    handler = signed_in("li", "handler", ["yunque"])
    assert handler.get("/export/reviews.xlsx").status_code == 403
    body = handler.get("/").get_data(as_text=True)
    assert 'id="export-csv"' not in body


def test_the_xlsx_export_drops_what_a_worksheet_cannot_hold(client, store):
    # crawled text may hold control characters (the pages show them as control pictures);
    # the workbook cannot, so they are left out of it, as in the briefing's workbook
    odd = make_review(text="坏\x01字\x1b", author="李\x0b", published_at=at(5))
    store.upsert([odd])
    response = client.get("/export/reviews.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    [row] = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == odd.id]
    assert (row[12], row[5]) == ("坏字", "李")
    assert "坏\x01字\x1b" in client.get("/export/reviews.csv").get_data().decode("utf-8-sig")
