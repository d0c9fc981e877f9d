"""Exports: ``/export/reviews.jsonl`` streams every matching review in the reader's scope as
JSON lines (the same filters as ``/api/reviews``), oldest published first, for analysts and
admins."""
from __future__ import annotations

import json

from flask import Blueprint, Response, stream_with_context

from web import params, reads
from web.api.payloads import review_payload
from web.display import display_zone
from web.security import access

bp = Blueprint("exports", __name__)


@bp.get("/export/reviews.jsonl")
@access.permission("export")
def reviews():
    query = params.review_query(display_zone())

    def lines():
        for review in reads.export_reviews(query):
            yield json.dumps(review_payload(review), ensure_ascii=False) + "\n"
    return Response(stream_with_context(lines()), mimetype="application/x-ndjson",
                    headers={"Content-Disposition": 'attachment; filename="reviews.jsonl"'})
