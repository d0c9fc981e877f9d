"""Correcting a review's sentiment label from the web: the review page's form
(``POST /reviews/<id>/label``) and ``POST /api/reviews/<id>/label`` with ``{"label": ...}``
(``web.api.corrections``), both through ``record``.

A correction is recorded with ``nlp.corrections.record_correction`` (the same file
``koubei label`` appends to, with the signed-in user as ``by``) and is learnt by the next
``koubei train``. The stored review keeps the model's label: figures stay those of the
shipped model until it is retrained, and the review page shows the correction beside it.
Any role may correct a review it can see; a review outside the reader's scope is 404.
"""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for

from nlp.corrections import LABELS, CorrectionError, record_correction
from web import reads
from web.exceptions import InvalidParameter
from web.i18n import gettext
from web.security import access

bp = Blueprint("corrections", __name__)


def record(review_id: str, label: object):
    """Record ``label`` for the visible review ``review_id``; ``(review, Correction)``.
    Raises ``InvalidParameter`` for an unknown label and ``CorrectionError`` when the
    correction cannot be recorded."""
    if not isinstance(label, str) or label not in LABELS:
        raise InvalidParameter("label", f"expected one of {', '.join(LABELS)}")
    review = reads.get_review(review_id)
    text = f"{review.title}。{review.text}" if review.title else review.text
    return review, record_correction(reads.current_runtime().home, review.id, label, text,
                                     by=g.user.username)


@bp.post("/reviews/<review_id>/label")
@access.permission("label")
def label(review_id: str):
    try:
        _, correction = record(review_id, request.form.get("label", ""))
    except InvalidParameter:
        flash(gettext("review.correction_bad_label"), "error")
    except CorrectionError as exc:
        flash(gettext("review.correction_failed", reason=str(exc)), "error")
    else:
        flash(gettext("review.corrected", label=gettext(f"sentiment.{correction.label}")), "ok")
    return redirect(url_for("feed.review", review_id=review_id))
