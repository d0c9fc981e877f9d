"""The weekly report as files: an Excel workbook (four sheets: overview, daily trend,
negative topics, incidents) and the daily trend as CSV (UTF-8 with a BOM, so Excel opens the
Chinese right). Column titles come from the message catalogue in the reader's language;
shares are numbers formatted as percentages, times are local to the report's timezone.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Callable

from openpyxl import Workbook
from openpyxl.styles import Font

from web.i18n import Label
from web.reports.weekly import Tally, WeeklyReport

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TALLY_COLUMNS = ("total", "negative", "neutral", "positive", "negative_share", "net_sentiment")
PERCENT = "0.0%"


def _tally(t: Tally) -> list:
    return [t.total, t.negative, t.neutral, t.positive, t.negative_share, t.net_sentiment]


def _local(at: datetime | None, report: WeeklyReport) -> datetime | None:
    return at.astimezone(report.tz).replace(tzinfo=None) if at else None


def _hours(incident) -> float | None:
    if incident.resolved_at is None:
        return None
    return round((incident.resolved_at - incident.opened_at).total_seconds() / 3600, 1)


PERCENT_COLUMNS = frozenset({"negative_share", "net_sentiment", "previous_negative_share",
                             "share_change"})
TIME_COLUMNS = frozenset({"opened", "acknowledged", "resolved"})
Sheet = tuple[str, list[str], list[list]]  # (title key, column keys, rows)


def days_sheet(report: WeeklyReport, label: Label) -> Sheet:
    names = {row.entity: row.name for row in report.overview}
    rows = [[day, label(f"report.weekday.{day.weekday()}"), names.get(entity, entity),
             *_tally(t)] for day, entity, t in report.days]
    return "days", ["day", "weekday", "entity", *TALLY_COLUMNS], rows


def sheets(report: WeeklyReport, label: Label, incident_url: Callable[[int], str]
           ) -> list[Sheet]:
    """Every sheet, in order; titles and columns are message keys (``report.sheet.*``,
    ``report.col.*``)."""
    overview = [[row.name, *_tally(row.week), row.previous.total, row.previous.negative_share,
                 row.share_change] for row in report.overview]
    topics = [[topic, now, before, now - before] for topic, now, before in report.topics]
    incidents = [[i.id, i.title, i.rule, "、".join(i.entities or []), i.severity,
                  label(f"incident.status.{i.status}"), _local(i.opened_at, report),
                  _local(i.acknowledged_at, report), _local(i.resolved_at, report), _hours(i),
                  incident_url(i.id)] for i in report.incidents]
    return [
        ("overview", ["entity", *TALLY_COLUMNS, "previous_total", "previous_negative_share",
                      "share_change"], overview),
        days_sheet(report, label),
        ("topics", ["topic", "negative_this_week", "negative_last_week", "change"], topics),
        ("incidents", ["incident", "title", "rule", "entities", "severity", "status", "opened",
                       "acknowledged", "resolved", "hours_to_resolve", "link"], incidents),
    ]


def _header(columns: list[str], label: Label) -> list[str]:
    return [label(f"report.col.{key}") for key in columns]


def to_xlsx(report: WeeklyReport, label: Label, incident_url: Callable[[int], str]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, columns, rows in sheets(report, label, incident_url):
        sheet = book.create_sheet(label(f"report.sheet.{title}")[:31])  # Excel's limit
        header = _header(columns, label)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for index, (key, name) in enumerate(zip(columns, header), 1):
            width = max([len(name)] + [len(str(r[index - 1] or "")) for r in rows[:200]])
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = \
                min(60, max(10, width * 1.6))
            number_format = (PERCENT if key in PERCENT_COLUMNS else
                             "yyyy-mm-dd hh:mm" if key in TIME_COLUMNS else None)
            if number_format:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = number_format
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def days_csv(report: WeeklyReport, label: Label) -> str:
    """The daily trend sheet as CSV text (the caller adds the BOM when it writes bytes)."""
    _, columns, rows = days_sheet(report, label)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_header(columns, label))
    for row in rows:
        writer.writerow(["" if v is None else (f"{v:.4f}" if isinstance(v, float) else v)
                         for v in row])
    return out.getvalue()


def filename(report: WeeklyReport, extension: str) -> str:
    return f"koubei-weekly-{report.week}.{extension}"
