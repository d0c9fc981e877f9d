"""Response figures: ``/response`` (page) and ``/api/response`` (JSON, ``web.api.response``),
both through ``figures``: per rule and per team (the team a rule routes to), for the incidents
opened in the chosen range that the reader may see (``alerting.respond.response_figures``).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template

from alerting.respond.response_figures import rule_figures
from models.review import utcnow
from web import params, reads
from web.security import access

bp = Blueprint("response", __name__)
RANGES = {"7d": timedelta(days=7), "30d": timedelta(days=30), "90d": timedelta(days=90)}


def figures() -> tuple[str, list, list]:
    """The ``range`` the request chose, then the figures per rule and per team."""
    chosen = params.choice("range", tuple(RANGES), "30d")
    incidents = reads.incidents_opened_since(utcnow() - RANGES[chosen])
    teams = {rule.name: rule.team for rule in reads.current_runtime().config.rules if rule.team}
    return chosen, rule_figures(incidents), rule_figures(incidents, lambda i: teams.get(i.rule))


@bp.get("/response")
@access.permission("read")
def page():
    chosen, rules, teams = figures()
    return render_template("response/response.html", figures=rules, teams=teams, range=chosen,
                           ranges=tuple(RANGES))
