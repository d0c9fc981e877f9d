"""``/export/weekly.xlsx`` and ``/export/weekly.csv``: the weekly trend report of
``web.reports.weekly`` for the reader's scope (roles that export: analyst, admin).

Parameters: ``week`` (ISO week such as ``2026-W47``; default the last complete week in the
config timezone) and ``entity`` (repeatable; default every entity the reader may see).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, Response, request, url_for

from models.review import utcnow
from models.state import Incident
from models.store import ReviewQuery, TrendPoint
from web import params, reads
from web.display import display_zone
from web.exceptions import InvalidParameter
from web.i18n import gettext
from web.reports.export import XLSX, days_csv, filename, to_xlsx
from web.reports.weekly import WeeklyReport, build_weekly_report, last_full_week, parse_week
from web.security import access

bp = Blueprint("weekly", __name__)


class ScopedReads:
    """The report's reads, limited to the signed-in reader's scope."""

    def count(self, query: ReviewQuery, group_by: str | None) -> dict[str | None, int]:
        return reads.review_counts(query, group_by)

    def trend(self, query: ReviewQuery, interval: timedelta,
              group_by: str | None) -> list[TrendPoint]:
        return reads.review_trend(query, interval, group_by)

    def incidents(self, start: datetime, end: datetime) -> list[Incident]:
        return reads.incidents_opened_since(start, end)


def _report() -> WeeklyReport:
    tz, now = display_zone(), utcnow()
    week = request.args.get("week", "").strip() or last_full_week(now, tz)
    try:
        parse_week(week)
    except ValueError as exc:
        raise InvalidParameter("week", str(exc)) from None
    visible = access.visible_entities(reads.current_runtime().config.entities)
    only = params.listed("entity", tuple(e.id for e in visible))
    return build_weekly_report(ScopedReads(), week, tz, visible, now,
                               all_name=gettext("report.all_entities"), only=only)


def _attachment(body: bytes, mimetype: str, name: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/export/weekly.xlsx")
@access.permission("export")
def xlsx():
    report = _report()
    body = to_xlsx(report, gettext, lambda incident_id: url_for(
        "incidents.detail", incident_id=incident_id, _external=True))
    return _attachment(body, XLSX, filename(report, "xlsx"))


@bp.get("/export/weekly.csv")
@access.permission("export")
def csv():
    report = _report()
    body = "\ufeff" + days_csv(report, gettext)
    return _attachment(body.encode("utf-8"), "text/csv; charset=utf-8", filename(report, "csv"))
