"""Response figures: ``/response`` (page) and ``/api/response`` (JSON, ``web.api.response``),
both through ``figures``: per rule and per team (the team a rule routes to), for the incidents
opened in the chosen range that the reader may see (``alerting.respond.response_figures``), and
the reviews handled in that range (how many, time to handle, by outcome and by handler:
``alerting.respond.review_handling.handling_figures``).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template

from alerting.respond.response_figures import rule_figures
from alerting.respond.review_handling import HandlingFigures, handling_figures
from models.review import utcnow
from web import params, reads
from web.security import access

bp = Blueprint("response", __name__)
RANGES = {"7d": timedelta(days=7), "30d": timedelta(days=30), "90d": timedelta(days=90)}


def figures() -> tuple[str, list, list, HandlingFigures]:
    """The ``range`` the request chose, then the figures per rule, per team, and of the reviews
    handled in the range."""
    chosen = params.choice("range", tuple(RANGES), "30d")
    since = utcnow() - RANGES[chosen]
    incidents = reads.incidents_opened_since(since)
    teams = {rule.name: rule.team for rule in reads.current_runtime().config.rules if rule.team}
    return (chosen, rule_figures(incidents), rule_figures(incidents, lambda i: teams.get(i.rule)),
            handling_figures(reads.reviews_handled_since(since)))


@bp.get("/response")
@access.permission("read")
def page():
    chosen, rules, teams, reviews = figures()
    return render_template("response/response.html", figures=rules, teams=teams, range=chosen,
                           ranges=tuple(RANGES), reviews=reviews)
