"""Briefings on demand for the reader's scope (roles that export: analyst, admin):

- ``/reports``: choose a day, an ISO week (both newest first, the latest with data chosen)
  or any range of days, and the entities of the group; download the PDF or the workbook;
- ``/export/briefing.pdf|.xlsx|.csv``: the briefing of ``period`` (``2026-11-05``,
  ``2026-W45`` or ``2026-11-01..2026-11-10``) or of the form's ``kind`` with ``day`` /
  ``week`` / ``from`` + ``to``; default the latest week with data;
- ``/export/weekly.xlsx|.csv``: the weekly briefing of ``week`` (kept for existing links).

``entity`` (repeatable) narrows the group; default every entity the reader may see.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Iterator

from flask import Blueprint, Response, render_template, request, url_for

from models.review import Review, utcnow
from models.state import Incident
from models.store import ReviewQuery, TrendPoint
from web import params, reads
from web.display import display_zone
from web.exceptions import InvalidParameter
from web.i18n import gettext
from web.reports.briefing import Briefing, build_briefing, newest_published
from web.reports.export import XLSX, days_csv, filename, to_xlsx
from web.reports.pdf import PDF, to_pdf
from web.reports.period import (
    Period,
    day,
    latest_with_data,
    parse_day,
    parse_period,
    parse_week,
    recent,
    week_of,
)
from web.security import access

bp = Blueprint("reports", __name__)


class ScopedReads:
    """The briefing's reads, limited to the signed-in reader's scope."""

    def count(self, query: ReviewQuery, group_by: str | None) -> dict[str | None, int]:
        return reads.review_counts(query, group_by)

    def trend(self, query: ReviewQuery, interval: timedelta, group_by: str | None,
              offset: timedelta = timedelta(0)) -> list[TrendPoint]:
        return reads.review_trend(query, interval, group_by, offset)

    def reviews(self, query: ReviewQuery) -> Iterator[Review]:
        return reads.export_reviews(query)

    def incidents(self, start: datetime, end: datetime) -> list[Incident]:
        return reads.incidents_opened_since(start, end)


def _visible():
    return access.visible_entities(reads.current_runtime().config.entities)


def _group() -> tuple[str, ...]:
    return params.listed("entity", tuple(e.id for e in _visible()))


def _latest(kind: str, only: tuple[str, ...]) -> Period:
    return latest_with_data(kind, newest_published(reads.search_reviews, only), utcnow(),
                            display_zone())


def _parsed(name: str, text: str) -> Period:
    try:
        return parse_period(text, display_zone())
    except ValueError as exc:
        raise InvalidParameter(name, str(exc)) from None


def _period(only: tuple[str, ...]) -> Period:
    args = request.args
    if args.get("period", "").strip():
        return _parsed("period", args["period"])
    kind = params.choice("kind", ("daily", "weekly", "range"), "weekly")
    if kind == "range":
        first, last = args.get("from", "").strip(), args.get("to", "").strip()
        if not first or not last:
            raise InvalidParameter("from", "a range needs both from and to dates")
        return _parsed("from", f"{first}..{last}")
    name = "day" if kind == "daily" else "week"
    value = args.get(name, "").strip()
    if not value:
        return _latest(kind, only)
    try:
        if kind == "weekly":
            year, number = parse_week(value)
            return week_of(date.fromisocalendar(year, number, 1), display_zone())
        return day(parse_day(value), display_zone())
    except ValueError as exc:
        raise InvalidParameter(name, str(exc)) from None


def _briefing() -> Briefing:
    only = _group()
    return build_briefing(ScopedReads(), _period(only), _visible(), utcnow(),
                          all_name=gettext("report.all_entities"), only=only)


def _attachment(body: bytes, mimetype: str, name: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _incident_url(incident_id: int) -> str:
    return url_for("incidents.detail", incident_id=incident_id, _external=True)


def _options(kind: str, only: tuple[str, ...]) -> tuple[list[Period], Period]:
    latest = _latest(kind, only)
    options = recent(kind, utcnow(), display_zone(), 31 if kind == "daily" else 12)
    if latest not in options:
        options.append(latest)
    return options, latest


@bp.get("/reports")
@access.permission("export")
def index():
    only = _group()
    days, latest_day = _options("daily", only)
    weeks, latest_week = _options("weekly", only)
    return render_template("reports/reports.html", days=days, latest_day=latest_day,
                           weeks=weeks, latest_week=latest_week, entities=_visible(),
                           selected=only, kind=request.args.get("kind", "weekly"))


@bp.get("/export/briefing.pdf")
@access.permission("export")
def pdf():
    briefing = _briefing()
    return _attachment(to_pdf(briefing, gettext, utcnow()), PDF, filename(briefing, "pdf"))


@bp.get("/export/briefing.xlsx")
@access.permission("export")
def xlsx():
    briefing = _briefing()
    return _attachment(to_xlsx(briefing, gettext, _incident_url), XLSX,
                       filename(briefing, "xlsx"))


@bp.get("/export/briefing.csv")
@bp.get("/export/weekly.csv")
@access.permission("export")
def csv():
    briefing = _briefing()
    body = "\ufeff" + days_csv(briefing, gettext)
    return _attachment(body.encode("utf-8"), "text/csv; charset=utf-8", filename(briefing, "csv"))


@bp.get("/export/weekly.xlsx")
@access.permission("export")
def weekly_xlsx():
    return xlsx()
