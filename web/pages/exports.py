"""Exports of a filtered review list in the reader's scope (analysts and admins), with the
same filters as ``/api/reviews`` and the feed: ``/export/reviews.jsonl`` (JSON lines),
``/export/reviews.csv`` (UTF-8 with BOM) and ``/export/reviews.xlsx``, oldest published
first. Spreadsheet cells that would start a formula are neutralised
(``web.reports.review_table``)."""
from __future__ import annotations

import json

from flask import Blueprint, Response, stream_with_context

from web import params, reads
from web.api.payloads import review_payload
from web.display import display_zone
from web.i18n import gettext
from web.reports.export import XLSX
from web.reports.review_table import COLUMNS, csv_chunks, xlsx_bytes
from web.security import access

bp = Blueprint("exports", __name__)


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def _header() -> list[str]:
    return [gettext(f"export.col.{column}") for column in COLUMNS]


@bp.get("/export/reviews.jsonl")
@access.permission("export")
def reviews():
    query = params.review_query(display_zone())

    def lines():
        for review in reads.export_reviews(query):
            yield json.dumps(review_payload(review), ensure_ascii=False) + "\n"
    return Response(stream_with_context(lines()), mimetype="application/x-ndjson",
                    headers=_attachment("reviews.jsonl"))


@bp.get("/export/reviews.csv")
@access.permission("export")
def reviews_csv():
    tz = display_zone()
    query = params.review_query(tz)
    chunks = csv_chunks(reads.export_reviews(query), _header(), tz)
    return Response(stream_with_context(chunks), mimetype="text/csv; charset=utf-8",
                    headers=_attachment("reviews.csv"))


@bp.get("/export/reviews.xlsx")
@access.permission("export")
def reviews_xlsx():
    tz = display_zone()
    query = params.review_query(tz)
    body = xlsx_bytes(reads.export_reviews(query), _header(), tz)
    return Response(body, mimetype=XLSX, headers=_attachment("reviews.xlsx"))
