"""``POST /api/reviews/<id>/label`` with ``{"label": "negative"}``: a person's correction of a
visible review's sentiment label, recorded as the review page's form records it
(``web.pages.corrections.record``). Answers 201 with the correction and the model's label; 422
when the correction cannot be recorded."""
from __future__ import annotations

from flask import Blueprint, request

from nlp.corrections import CorrectionError
from web.errors import api_error
from web.exceptions import InvalidParameter
from web.pages.corrections import record
from web.security import access

bp = Blueprint("api_corrections", __name__, url_prefix="/api")


@bp.post("/reviews/<review_id>/label")
@access.permission("label")
def label(review_id: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidParameter("label", 'send a JSON object such as {"label": "negative"}')
    try:
        review, correction = record(review_id, body.get("label"))
    except CorrectionError as exc:  # a review with no text, or an unwritable corrections file
        return api_error(422, "cannot_record", str(exc))
    was = review.sentiment.label if review.sentiment else None
    return {"correction": {"review_id": correction.review_id, "label": correction.label,
                           "model_label": was, "corrected_at": correction.corrected_at,
                           "by": correction.by}}, 201
