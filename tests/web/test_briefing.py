"""The briefing (舆情简报) rendered: the PDF read back with pypdf (text, pages, CJK, charts, no
raw ids, crawled text as written), the workbook opened with openpyxl and as a zip (native
charts, names not ids, words not level codes, number formats, no formulas from review
text), on demand from the web (scoped) and the CLI, and the missing-font error."""
from __future__ import annotations

import io
import re
import zipfile

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.factories import make_review
from tests.web.test_weekly_report import SHANGHAI, WEEK, _client, local, week  # noqa: F401
from web.cli import main
from web.i18n import translator
from web.reports.briefing import build_briefing
from web.reports.export import to_xlsx
from web.reports.offline import StoreReads
from web.reports.pdf import to_pdf
from web.reports.period import parse_period

ZH, EN = translator("zh-CN"), translator("en")
RAW_IDS = re.compile(r"\b(yunque|yunque-x5|huamei|negative-spike|warning|acknowledged)\b")
INJECTION = '=HYPERLINK("http://evil.example","点我")'
MARKUP = "<b>粗体</b> & <script>alert(1)</script> 屏幕碎了"
COMPLAINT = "电池一天三充，续航太差了，售后还推脱责任"


@pytest.fixture
def rich(week):  # noqa: F811
    """The week's data plus engaging negatives: three near-duplicates, a formula, markup."""
    week.store.upsert([
        make_review(published_at=local(5, 12), label="negative", text=COMPLAINT, likes=120,
                    replies=30, text_norm=COMPLAINT, rating=1.0, topics=["电池续航"]),
        make_review(published_at=local(5, 13), label="negative", text=COMPLAINT + "！",
                    likes=80, text_norm=COMPLAINT + "!", rating=1.0, topics=["电池续航"]),
        make_review(published_at=local(5, 14), label="negative", text="真的，" + COMPLAINT,
                    likes=60, text_norm="真的," + COMPLAINT, rating=2.0, topics=["电池续航"]),
        make_review(published_at=local(6, 9), label="negative", text=INJECTION, likes=40,
                    text_norm=INJECTION, rating=1.0),
        make_review(published_at=local(6, 10), label="negative", text=MARKUP, likes=20,
                    text_norm=MARKUP, entities=["huamei"], rating=None),
    ])
    return week


def briefing_of(rt, key=WEEK, only=(), label=ZH):
    return build_briefing(StoreReads(rt), parse_period(key, SHANGHAI), rt.config.entities,
                          now=local(16, 9), all_name=label("report.all_entities"), only=only)


def pdf_pages(body: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]


def test_weekly_pdf_summary_page_then_charts_reviews_incidents(rich):
    briefing = briefing_of(rich)
    assert [n.similar for n in briefing.notable[:1]] == [2]  # the three complaints as one
    body = to_pdf(briefing, ZH, local(16, 9))
    assert body.startswith(b"%PDF")
    pages = pdf_pages(body)
    assert len(pages) >= 2
    first, rest = pages[0], "\n".join(pages[1:])
    assert "全部舆情周报" in first and f"统计周期：{WEEK}（2026-11-02 至 2026-11-08" in first
    assert "核心指标" in first and "摘要" in first
    # 10 reviews against 4 last week, in words and numbers
    assert "本期评论 10 条，较上周（4 条）增加 6 条（+150.0%）" in first
    assert "负面占比 80.0%，较上周上升 55.0 个百分点" in first
    assert "满意度（4–5 星占比）" in first and "负面话题以「电池续航」最多" in first
    assert "本期事件 2 个" in first
    assert "情感趋势" not in first  # the summary page is the first page alone
    assert "情感趋势" in rest and "声量占比" in rest and "负面话题（本期与上周）" in rest
    assert "典型负面评论" in rest and "另有 2 条相似" in rest
    assert "事件与响应" in rest and "云雀电池" in rest and "华美售后" in rest
    assert "警告" in rest and "已解决" in rest and "2.0 小时" in rest
    text = "\n".join(pages)
    assert "<b>粗体</b> & <script>alert(1)</script>" in text  # as written, not markup
    assert "HYPERLINK" in text
    assert len(re.findall(r"[\u4e00-\u9fff]", text)) > 300
    assert not RAW_IDS.search(text), RAW_IDS.search(text)
    # the charts are drawn: legend and axis labels are text in the page, bars are paths
    assert "负面" in rest and "11-02" in rest and "11-08" in rest


def test_daily_and_range_briefings_in_english(rich):
    daily = to_pdf(briefing_of(rich, "2026-11-05", label=EN), EN, local(16, 9))
    text = "\n".join(pdf_pages(daily))
    assert "All: daily briefing" in text and "Period: 2026-11-05" in text
    assert "3 reviews, 2 more than the day before (1, +200.0%)." in text
    assert "Hour (local time)" in text and "Sentiment trend" in text
    assert not RAW_IDS.search(text)
    span = briefing_of(rich, "2026-11-01..2026-11-10", only=("huamei",), label=EN)
    assert span.group == "华美家电" and span.share_of_voice == []
    text = "\n".join(pdf_pages(to_pdf(span, EN, local(16, 9))))
    assert "华美家电: briefing" in text and "Share of voice" not in text
    assert "屏幕碎了" in text and "云雀电池" not in text


def test_workbook_has_native_charts_names_formats_and_no_formulas(rich):
    body = to_xlsx(briefing_of(rich), ZH, lambda i: f"http://koubei.test/incidents/{i}")
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        charts = [archive.read(n).decode() for n in archive.namelist()
                  if n.startswith("xl/charts/chart")]
        sheets = "".join(archive.read(n).decode() for n in archive.namelist()
                         if n.startswith("xl/worksheets/sheet"))
    kinds = sorted(re.search(r"<(?:c:)?(barChart|pieChart)>", c)[1] for c in charts)
    assert kinds == ["barChart", "barChart", "pieChart"]
    assert "<f>" not in sheets  # no cell holds a formula
    book = load_workbook(io.BytesIO(body))
    summary = list(book["摘要"].values)
    assert summary[0][0] == "全部舆情周报" and summary[2] == ("指标", "本期", "上期", "变化")
    assert summary[3][:3] == ("评论量", "10", "4")
    notable = book["典型负面评论"]
    texts = {row[0].value: row for row in notable.iter_rows(min_row=2)}
    cell = texts[INJECTION][0]
    assert cell.data_type == "s" and cell.quotePrefix  # text, shown as typed
    assert texts[MARKUP][3].value == "华美家电" and texts[MARKUP][7].value == 0
    assert next(r for r in texts.values() if r[5].value == 120)[7].value == 2  # similar
    incidents = list(book["事件"].values)
    assert incidents[1][2:5] == ("云雀手机", "警告", "已解决")
    assert incidents[1][10] == f"http://koubei.test/incidents/{incidents[1][0]}"
    overview = book["概览"]
    assert (overview["B2"].number_format, overview["F2"].number_format,
            overview["G2"].number_format, overview["J2"].number_format) == (
        "#,##0", "0.0%", "+0.00;-0.00;0.00", "+0.0%;-0.0%;0.0%")
    assert book["趋势"]["A2"].number_format == "yyyy-mm-dd"
    assert book["负面话题"]["D2"].number_format == "+#,##0;-#,##0;0"
    assert book["事件"]["I2"].number_format == "0.0"
    share = list(book["声量占比"].values)
    assert [row[0] for row in share[1:]] == ["云雀手机", "云雀 X5", "华美家电"]
    everything = " ".join(str(v) for ws in book for row in ws.values for v in row if v)
    assert not re.search(r"\b(yunque|huamei|warning)\b", everything.replace(
        "koubei.test", ""))


def test_on_demand_from_the_web_for_any_range_in_scope(rich):
    admin = _client(rich, "root", "admin")
    page = admin.get("/reports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    weeks = re.findall(r'<option value="(\d{4}-W\d{2})"( selected)?', html)
    keys = [k for k, _ in weeks]
    assert keys == sorted(keys, reverse=True)  # newest first
    # the default is the latest week with data (a review on Monday 9 November), not an empty one
    assert [k for k, s in weeks if s] == ["2026-W46"]
    latest = admin.get("/export/briefing.xlsx")
    assert "koubei-weekly-2026-W46.xlsx" in latest.headers["Content-Disposition"]
    response = admin.get("/export/briefing.pdf?kind=range&from=2026-11-01&to=2026-11-10")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "2026-11-01..2026-11-10" in response.headers["Content-Disposition"]
    daily = admin.get("/export/briefing.pdf?kind=daily&day=2026-11-05")
    assert "全部舆情日报" in pdf_pages(daily.data)[0]
    analyst = _client(rich, "li", "analyst", ["yunque"])
    text = "\n".join(pdf_pages(analyst.get(f"/export/briefing.pdf?period={WEEK}").data))
    assert "华美家电" not in text and "屏幕碎了" not in text and "华美售后" not in text
    assert analyst.get("/export/briefing.pdf?entity=huamei").status_code == 400


def test_cli_writes_pdf_and_xlsx_and_missing_font_is_a_clear_error(rich, tmp_path,
                                                                     monkeypatch):
    runner = CliRunner()
    args = ["--config", str(rich.config_path), "--home", str(rich.home)]
    out = tmp_path / "day.pdf"
    result = runner.invoke(main, ["report", "daily", "--day", "2026-11-05", "--out", str(out),
                                  *args])
    assert result.exit_code == 0, result.output
    assert "2026-11-05: 3 reviews, 3 negative" in result.output
    assert "舆情日报" in pdf_pages(out.read_bytes())[0]
    span = tmp_path / "span.xlsx"
    result = runner.invoke(main, ["report", "range", "--from", "2026-11-01", "--to",
                                  "2026-11-10", "--out", str(span), *args])
    assert result.exit_code == 0, result.output
    assert load_workbook(span)["概览"]["B2"].value == 11
    bad = runner.invoke(main, ["report", "range", "--from", "2026-11-10", "--to",
                               "2026-11-01", "--out", str(span), *args])
    assert bad.exit_code == 2 and "ends (2026-11-01) before it starts" in bad.output
    monkeypatch.setenv("KOUBEI_CJK_FONT", str(tmp_path / "no-such-font.ttc"))
    missing = runner.invoke(main, ["report", "weekly", "--week", WEEK, "--out", str(out),
                                   *args])
    assert missing.exit_code == 1 and "no-such-font.ttc: no such file" in missing.output
    admin = _client(rich, "root", "admin")
    page = admin.get(f"/export/briefing.pdf?period={WEEK}")
    assert page.status_code == 503 and "no-such-font.ttc" in page.get_data(as_text=True)
