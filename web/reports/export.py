"""The briefing as files: an Excel workbook (the PDF's sections as sheets — summary, overview
per entity, trend, share of voice, negative topics, notable negative reviews, incidents — with
native Excel charts) and the trend as CSV (UTF-8 with a BOM, so Excel opens the Chinese right).

Column titles come from the message catalogue in the reader's language, entities are shown by
name, levels and statuses in words; every column has its number format (counts, shares as
percentages, signed changes, hours, local times). Crawled text is written as text: a cell that
would start a formula (``=``, ``+``, ``-``, ``@``) is stored as a string with Excel's quote
prefix, and characters XML cannot hold are dropped.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Callable

from openpyxl import Workbook
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from web.i18n import Label
from web.reports import words
from web.reports.briefing import ALL, Briefing, Tally, hours_between
from web.reports.review_table import FORMULA_START, safe_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TALLY_COLUMNS = ("total", "negative", "neutral", "positive", "negative_share", "net_sentiment")
FORMATS = {
    **dict.fromkeys(("total", "negative", "neutral", "positive", "previous_total", "likes",
                     "replies", "similar", "rated", "negative_this_week",
                     "negative_last_week"), "#,##0"),
    **dict.fromkeys(("negative_share", "previous_negative_share", "share", "csat"), "0.0%"),
    "share_change": "+0.0%;-0.0%;0.0%", "net_sentiment": "+0.00;-0.00;0.00",
    "change": "+#,##0;-#,##0;0", "hours_to_acknowledge": "0.0", "hours_to_resolve": "0.0",
    **dict.fromkeys(("opened", "acknowledged", "resolved", "published", "bucket"),
                    "yyyy-mm-dd hh:mm"),
    "day": "yyyy-mm-dd", "incident": "0",
}
WIDE = {"text": 80, "title": 40, "link": 40}
Sheet = tuple[str, list[str], list[list]]  # (title key, column keys, rows)


def _tally(t: Tally) -> list:
    return [t.total, t.negative, t.neutral, t.positive, t.negative_share, t.net_sentiment]


def _local(at: datetime | None, b: Briefing) -> datetime | None:
    return at.astimezone(b.period.tz).replace(tzinfo=None) if at else None


def trend_sheet(b: Briefing, label: Label) -> Sheet:
    """The group's buckets first (the chart reads them), then each entity's."""
    rows = sorted(b.trend, key=lambda row: (row[1] != ALL, row[1], row[0]))
    names = {row.entity: row.name for row in b.overview}
    if b.period.kind == "daily":
        return "days", ["bucket", "entity", *TALLY_COLUMNS], [
            [_local(start, b), names.get(key, key), *_tally(t)] for start, key, t in rows]
    return "days", ["day", "weekday", "entity", *TALLY_COLUMNS], [
        [start.astimezone(b.period.tz).date(),
         label(f"report.weekday.{start.astimezone(b.period.tz).weekday()}"),
         names.get(key, key), *_tally(t)] for start, key, t in rows]


def sheets(b: Briefing, label: Label, incident_url: Callable[[int], str]) -> list[Sheet]:
    """Every sheet, in order; titles and columns are message keys (``report.sheet.*``,
    ``report.col.*``)."""
    summary = [[figure, now, before, change] for figure, now, before, change
               in words.key_figures(b, label)]
    summary += [[], *[[line] for line in words.sentences(b, label)]]
    overview = [[row.name, *_tally(row.now), row.previous.total,
                 row.previous.negative_share, row.share_change] for row in b.overview]
    topics = [[topic, now, before, now - before] for topic, now, before in b.topics]
    notable = [[n.review.title and f"{n.review.title}：{n.review.text}" or n.review.text,
                n.review.author or label("review.anonymous"), n.review.platform,
                b.entity_names(n.review.entities), _local(n.review.published_at, b),
                n.review.likes, n.review.replies, n.similar, n.review.url or ""]
               for n in b.notable]
    incidents = [[i.id, i.title, b.entity_names(i.entities),
                  label(f"incident.severity.{i.severity}"),
                  label(f"incident.status.{i.status}"), _local(i.opened_at, b),
                  _local(i.acknowledged_at, b), _local(i.resolved_at, b),
                  hours_between(i.opened_at, i.acknowledged_at),
                  hours_between(i.opened_at, i.resolved_at), incident_url(i.id)]
                 for i in b.incidents]
    result = [
        ("summary", ["figure", "now", "previous", "change"], summary),
        ("overview", ["entity", *TALLY_COLUMNS, "previous_total", "previous_negative_share",
                      "share_change"], overview),
        trend_sheet(b, label),
    ]
    if b.share_of_voice:
        result.append(("share", ["entity", "total", "share"],
                       [list(row) for row in b.share_of_voice]))
    return result + [
        ("topics", ["topic", "negative_this_week", "negative_last_week", "change"], topics),
        ("notable", ["text", "author", "platform", "entities", "published", "likes",
                     "replies", "similar", "link"], notable),
        ("incidents", ["incident", "title", "entities", "severity", "status", "opened",
                       "acknowledged", "resolved", "hours_to_acknowledge", "hours_to_resolve",
                       "link"], incidents),
    ]


def _neutralise(sheet: Worksheet, row: int) -> None:
    # openpyxl stores a string starting with "=" as a formula: store it as text instead, with
    # the quote prefix Excel itself sets when someone types '=... into a cell.
    for cell in sheet[row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
            cell.data_type = "s"
            cell.quotePrefix = True


def _header(columns: list[str], label: Label) -> list[str]:
    return [label(f"report.col.{key}") for key in columns]


def _fill(sheet: Worksheet, columns: list[str], rows: list[list], label: Label) -> None:
    header = _header(columns, label)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_text(v) for v in row])
        _neutralise(sheet, sheet.max_row)
    for index, (key, name) in enumerate(zip(columns, header), 1):
        letter = sheet.cell(1, index).column_letter
        width = max([len(name)] + [len(str(r[index - 1] or "")) for r in rows[:200]
                                   if len(r) >= index])
        sheet.column_dimensions[letter].width = WIDE.get(key) or min(40, max(10, width * 1.6))
        number_format = FORMATS.get(key)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if number_format and not isinstance(cell.value, str):
                cell.number_format = number_format
            if key in WIDE:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"


def _charts(book: Workbook, titles: dict[str, str], b: Briefing, label: Label) -> None:
    trend = book[titles["days"]]
    first = 3 if b.period.kind == "daily" else 4  # column of "total"
    count = sum(1 for _, key, _ in b.trend if key == ALL)
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
    chart.title, chart.y_axis.title = label("report.chart.trend"), label("report.col.total")
    chart.add_data(Reference(trend, min_col=first + 1, max_col=first + 3, min_row=1,
                             max_row=count + 1), titles_from_data=True)
    chart.set_categories(Reference(trend, min_col=1, min_row=2, max_row=count + 1))
    chart.width, chart.height = 24, 10
    trend.add_chart(chart, "L2")
    if "share" in titles:
        share = book[titles["share"]]
        pie = PieChart()
        pie.title = label("report.chart.share_of_voice")
        pie.add_data(Reference(share, min_col=2, min_row=1, max_row=share.max_row),
                     titles_from_data=True)
        pie.set_categories(Reference(share, min_col=1, min_row=2, max_row=share.max_row))
        share.add_chart(pie, "E2")
    topics = book[titles["topics"]]
    if topics.max_row > 1:
        bars = BarChart()
        bars.type = "bar"
        bars.title = label("report.chart.topics").format(previous=words.previous_name(b, label))
        last = min(topics.max_row, 11)
        bars.add_data(Reference(topics, min_col=2, max_col=3, min_row=1, max_row=last),
                      titles_from_data=True)
        bars.set_categories(Reference(topics, min_col=1, min_row=2, max_row=last))
        bars.width, bars.height = 18, 9
        topics.add_chart(bars, "F2")


def to_xlsx(b: Briefing, label: Label, incident_url: Callable[[int], str]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    titles = {}
    for key, columns, rows in sheets(b, label, incident_url):
        titles[key] = label(f"report.sheet.{key}")[:31]  # Excel's limit
        _fill(book.create_sheet(titles[key]), columns, rows, label)
    summary = book[titles["summary"]]
    summary.insert_rows(1, 2)
    summary["A1"] = safe_text(words.title(b, label))
    summary["A1"].font = Font(bold=True, size=14)
    summary["A2"] = words.period_line(b, label)
    summary.freeze_panes = None
    _charts(book, titles, b, label)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def days_csv(b: Briefing, label: Label) -> str:
    """The trend sheet as CSV text (the caller adds the BOM when it writes bytes)."""
    _, columns, rows = trend_sheet(b, label)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_header(columns, label))
    for row in rows:
        writer.writerow(["" if v is None else (f"{v:.4f}" if isinstance(v, float) else v)
                         for v in row])
    return out.getvalue()


def filename(b: Briefing, extension: str) -> str:
    return f"koubei-{b.period.kind}-{b.period.key}.{extension}"
