"""The weekly briefing's figures: one ISO week beside the week before (local week
boundaries), as Excel and CSV from the web (scoped, for roles that export) and the CLI; the
periods (days, weeks, ranges) and their defaults."""
from __future__ import annotations

import io
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from models.config import EntityConfig
from models.runtime import Runtime
from tests.factories import make_review
from tests.web.conftest import PASSWORD, log_in
from web.app import create_app
from web.cli import main
from web.reports.briefing import ALL, build_briefing
from web.reports.offline import StoreReads
from web.reports.period import last_complete, parse_period, parse_week, recent
from web.security import accounts

HUAMEI = EntityConfig(id="huamei", name="华美家电", keywords=["华美"])
SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEK = "2026-W45"  # Monday 2 November to Sunday 8 November 2026


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(timezone.utc)


@pytest.fixture
def week(runtime, add_incident):
    rt = Runtime(runtime.config.model_copy(
        update={"entities": [*runtime.config.entities, HUAMEI]}), runtime.config_path,
        runtime.home)
    reviews = [  # (when, entity, label, topics)
        (local(2, 10), "yunque", "negative", ["电池续航"]),
        (local(2, 11), "yunque", "positive", []),
        (local(3, 9), "yunque", "negative", ["电池续航"]),
        (local(8, 23, 30), "yunque", "neutral", []),       # Sunday night: still this week
        (local(4, 15), "huamei", "negative", ["售后退换"]),
        (local(9, 0, 10), "yunque", "positive", []),       # Monday after: next week
        (local(27, 12, month=10), "yunque", "negative", ["电池续航"]),  # the week before
        *((local(28, h, month=10), "yunque", "positive", []) for h in (9, 10, 11)),
    ]
    rt.store.upsert([make_review(published_at=at, entities=[entity], label=label, topics=topics)
                     for at, entity, label, topics in reviews])
    add_incident(entities=["yunque"], title="云雀电池", opened_at=local(3, 9, 30),
                 resolved_at=local(3, 11, 30), status="resolved")
    add_incident(entities=["huamei"], title="华美售后", opened_at=local(4, 16))
    add_incident(entities=["yunque"], title="下周的事", opened_at=local(9, 1))
    yield rt
    rt.close()


def test_week_figures_beside_last_week_on_local_boundaries(week):
    report = build_briefing(StoreReads(week), parse_period(WEEK, SHANGHAI),
                            week.config.entities, now=local(16, 9))
    period = report.period
    assert report.complete and period.start == local(2, 0) and period.end == local(9, 0)
    rows = {row.entity: row for row in report.overview}
    every, yunque = rows[ALL], rows["yunque"]
    assert (every.now.total, every.now.negative, every.now.neutral, every.now.positive) == \
        (5, 3, 1, 1)
    assert (yunque.now.total, yunque.now.negative, yunque.previous.total) == (4, 2, 4)
    assert yunque.share_change == pytest.approx(0.5 - 0.25)
    assert rows["yunque-x5"].now.total == 0 and rows["yunque-x5"].share_change is None
    days = {(start.astimezone(SHANGHAI).date().isoformat(), entity): t
            for start, entity, t in report.trend}
    assert len(days) == 7 * 4
    assert days[("2026-11-02", ALL)].total == 2 and days[("2026-11-08", ALL)].neutral == 1
    assert days[("2026-11-04", "huamei")].negative == 1
    assert report.topics == [("电池续航", 2, 1), ("售后退换", 1, 0)]
    assert [i.title for i in report.incidents] == ["云雀电池", "华美售后"]


def test_weeks_are_parsed_and_defaulted_in_local_time():
    assert parse_week("2026-W45") == (2026, 45)
    for bad in ("2026-45", "2026-W54", "W45", ""):
        with pytest.raises(ValueError, match="ISO week such as 2026-W47"):
            parse_week(bad)
    # Monday 00:30 in Shanghai is still Sunday in UTC: the last full week is the local one
    assert last_complete("weekly", local(16, 0, 30), SHANGHAI).key == "2026-W46"
    assert last_complete("daily", local(16, 0, 30), SHANGHAI).key == "2026-11-15"
    day = parse_period("2026-11-05", SHANGHAI)
    assert (day.kind, day.start, day.end, day.previous.key) == (
        "daily", local(5, 0), local(6, 0), "2026-11-04")
    span = parse_period("2026-11-01..2026-11-10", SHANGHAI)
    assert (span.kind, span.days, span.previous.key) == ("range", 10,
                                                         "2026-10-22..2026-10-31")
    for bad, why in (("2026-11-10..2026-11-01", "ends"), ("2026-01-01..2026-12-31", "92"),
                     ("2026-02-30", "date such as"), ("yesterday", "a period is")):
        with pytest.raises(ValueError, match=why):
            parse_period(bad, SHANGHAI)
    # selectors list the running week first, then older ones
    assert [p.key for p in recent("weekly", local(10, 9), SHANGHAI, 3)] == [
        "2026-W46", "2026-W45", "2026-W44"]


def _client(rt, username, role, entities=("*",)):
    app = create_app(rt, {"TESTING": True})
    accounts.add_user(rt.state, username, role, list(entities), PASSWORD)
    client = app.test_client()
    assert log_in(client, username).status_code == 302
    return client


def test_excel_export_for_the_readers_scope(week):
    admin = _client(week, "root", "admin")
    response = admin.get(f"/export/weekly.xlsx?week={WEEK}")
    assert response.status_code == 200
    assert f"koubei-weekly-{WEEK}.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["摘要", "概览", "趋势", "声量占比", "负面话题", "典型负面评论", "事件"]
    overview = list(book["概览"].values)
    assert overview[0][:3] == ("品牌/产品", "评论数", "负面")
    assert [row[:3] for row in overview[1:]] == [("全部", 5, 3), ("云雀手机", 4, 2),
                                                 ("云雀 X5", 0, 0), ("华美家电", 1, 1)]
    assert book["概览"]["F2"].number_format == "0.0%"
    incidents = list(book["事件"].values)
    assert [row[1] for row in incidents[1:]] == ["云雀电池", "华美售后"]
    assert incidents[1][2:5] == ("云雀手机", "警告", "已解决")  # names and words, not ids
    assert incidents[1][9] == 2.0  # hours to resolve
    assert incidents[1][5] == datetime(2026, 11, 3, 9, 30)  # local time

    analyst = _client(week, "li", "analyst", ["yunque"])
    scoped = load_workbook(io.BytesIO(analyst.get(f"/export/weekly.xlsx?week={WEEK}").data))
    names = [row[0] for row in list(scoped["概览"].values)[1:]]
    assert "华美家电" not in names and list(scoped["概览"].values)[1][1] == 4
    assert [row[1] for row in list(scoped["事件"].values)[1:]] == ["云雀电池"]
    assert [row[0] for row in list(scoped["负面话题"].values)[1:]] == ["电池续航"]


def test_csv_of_the_daily_trend_and_bad_requests(week):
    admin = _client(week, "root", "admin")
    response = admin.get(f"/export/weekly.csv?week={WEEK}&entity=huamei&lang=en")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeffDate,Weekday,Brand/product,Reviews,Negative,")
    lines = text.strip("\ufeff").strip().split("\r\n")
    assert len(lines) == 1 + 7 * 2  # the "all" row (just huamei here) and huamei, per day
    assert "2026-11-04,Wed,华美家电,1,1,0,0,1.0000,-1.0000" in lines
    bad = admin.get("/export/weekly.xlsx?week=2026-45")
    assert bad.status_code == 400 and "2026-W47" in bad.get_data(as_text=True)
    assert admin.get("/export/briefing.pdf?period=2026-13-01").status_code == 400
    assert admin.get("/export/briefing.pdf?kind=range&from=2026-11-01").status_code == 400
    assert admin.get("/export/weekly.csv?entity=nope").status_code == 400
    handler = _client(week, "zhao", "handler")
    assert handler.get(f"/export/weekly.xlsx?week={WEEK}").status_code == 403
    assert handler.get("/reports").status_code == 403
    page = admin.get("/trends").get_data(as_text=True)
    assert 'id="briefing-link"' in page
    assert 'id="briefing-link"' not in handler.get("/trends").get_data(as_text=True)


def test_cli_writes_the_workbook(week, tmp_path, monkeypatch):
    config = tmp_path / "koubei.yaml"
    config.write_text(week.config_path.read_text(encoding="utf-8").replace(
        "entities:\n", "entities:\n  - {id: huamei, name: 华美家电, keywords: [华美]}\n", 1),
        encoding="utf-8")
    out = tmp_path / "week.xlsx"
    runner = CliRunner()
    result = runner.invoke(main, ["report", "weekly", "--week", WEEK, "--out", str(out),
                                  "--config", str(config), "--home", str(week.home)])
    assert result.exit_code == 0, result.output
    assert f"{WEEK}: 5 reviews, 3 negative, 2 incidents" in result.output
    assert list(load_workbook(out)["概览"].values)[1][:3] == ("全部", 5, 3)
    bad = runner.invoke(main, ["report", "weekly", "--week", "45", "--out", str(out),
                               "--config", str(config), "--home", str(week.home)])
    assert bad.exit_code == 2 and "ISO week such as 2026-W47" in bad.output
    unknown = runner.invoke(main, ["report", "weekly", "--entity", "nope", "--out", str(out),
                                   "--config", str(config), "--home", str(week.home)])
    assert unknown.exit_code == 2 and "unknown entity 'nope'" in unknown.output
