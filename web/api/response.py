"""``GET /api/response``: the response figures of the ``/response`` page
(``web.pages.response.figures``) per rule and per team, for the incidents opened in ``range``
(7d|30d|90d, default 30d) that the reader may see, and the reviews handled in that range."""
from __future__ import annotations

from flask import Blueprint

from web.pages.response import figures as response_figures
from web.security import access

bp = Blueprint("api_response", __name__, url_prefix="/api")


@bp.get("/response")
@access.permission("read")
def figures():
    chosen, rules, teams, reviews = response_figures()
    return {"range": chosen, "rules": [f.to_dict() for f in rules],
            "teams": [{"team": t.pop("rule"), **t} for t in (f.to_dict() for f in teams)],
            "reviews": reviews.to_dict()}
