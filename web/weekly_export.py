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

from web.weekly_report import Tally, WeeklyReport

Label = Callable[[str], str]
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


def sheets(report: WeeklyReport, label: Label, incident_url: Callable[[int], str]
           ) -> list[tuple[str, list[str], list[list]]]:
    """``(sheet title, header, rows)`` of every sheet, in order."""
    col = lambda key: label(f"report.col.{key}")  # noqa: E731 - a short alias reads best here
    overview = [[row.name, *_tally(row.week), row.previous.total, row.previous.negative_share,
                 row.share_change] for row in report.overview]
    names = {row.entity: row.name for row in report.overview}
    days = [[day, label(f"report.weekday.{day.weekday()}"), names.get(entity, entity),
             *_tally(t)] for day, entity, t in report.days]
    topics = [[topic, now, before, now - before] for topic, now, before in report.topics]
    incidents = [[i.id, i.title, i.rule, "、".join(i.entities or []), i.severity,
                  label(f"incident.status.{i.status}"), _local(i.opened_at, report),
                  _local(i.acknowledged_at, report), _local(i.resolved_at, report), _hours(i),
                  incident_url(i.id)] for i in report.incidents]
    return [
        (label("report.sheet.overview"),
         [col("entity"), *map(col, TALLY_COLUMNS), col("previous_total"),
          col("previous_negative_share"), col("share_change")], overview),
        (label("report.sheet.days"),
         [col("day"), col("weekday"), col("entity"), *map(col, TALLY_COLUMNS)], days),
        (label("report.sheet.topics"),
         [col("topic"), col("negative_this_week"), col("negative_last_week"), col("change")],
         topics),
        (label("report.sheet.incidents"),
         [col("incident"), col("title"), col("rule"), col("entities"), col("severity"),
          col("status"), col("opened"), col("acknowledged"), col("resolved"),
          col("hours_to_resolve"), col("link")], incidents),
    ]


def to_xlsx(report: WeeklyReport, label: Label, incident_url: Callable[[int], str]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    percent_columns = {label("report.col.negative_share"), label("report.col.net_sentiment"),
                       label("report.col.previous_negative_share"),
                       label("report.col.share_change")}
    for title, header, rows in sheets(report, label, incident_url):
        sheet = book.create_sheet(title[:31])  # Excel's limit on sheet names
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for index, name in enumerate(header, 1):
            width = max([len(str(name))] + [len(str(r[index - 1] or "")) for r in rows[:200]])
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = \
                min(60, max(10, width * 1.6))
            if name in percent_columns:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = PERCENT
            elif rows and isinstance(rows[0][index - 1], datetime):
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "yyyy-mm-dd hh:mm"
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def days_csv(report: WeeklyReport, label: Label) -> str:
    """The daily trend sheet as CSV text (the caller adds the BOM when it writes bytes)."""
    _, header, rows = sheets(report, label, lambda _: "")[1]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else (f"{v:.4f}" if isinstance(v, float) else v)
                         for v in row])
    return out.getvalue()


def filename(report: WeeklyReport, extension: str) -> str:
    return f"koubei-weekly-{report.week}.{extension}"
